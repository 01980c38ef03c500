import { HostCommandError, type Host } from '../../hosts/host.ts';
import type { ServerTarget, SshClientOptions } from '../../hosts/ssh/server-connection.ts';
import { SshHost, SshHostError } from '../../hosts/ssh/ssh-host.ts';
import { silent, type Progress } from '../../progress.ts';
import type { Inventory, InventoryHost } from '../inventory.ts';
import type { HostScan } from './host-scan.ts';
import { scanHostFacts, type ScanHostOptions } from './scan-host.ts';

export interface ScanOptions extends ScanHostOptions {
  client?: SshClientOptions;
  /** Servers scanned at once (default 4): each apt-get update costs its server and the mirror. */
  parallel?: number;
  /** How a server is reached; tests may give another Host. */
  connect?: (target: ServerTarget, client: SshClientOptions) => Promise<Host>;
  progress?: Progress;
  now?: () => number;
}

/**
 * Scans every server of an inventory, a bounded number at a time. A server that cannot be
 * reached or used is a row with its reason, never an exception: one bad host must not hide the
 * others. Rows come back in the inventory's order.
 */
export async function scanInventory(inventory: Inventory, options: ScanOptions = {}): Promise<HostScan[]> {
  const rows: HostScan[] = new Array(inventory.hosts.length);
  let next = 0;
  const worker = async () => {
    while (next < inventory.hosts.length) {
      const i = next++;
      rows[i] = await scanOne(inventory.hosts[i] as InventoryHost, options);
    }
  };
  const parallel = Math.max(1, Math.min(options.parallel ?? 4, inventory.hosts.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  return rows;
}

export async function scanOne(target: InventoryHost, options: ScanOptions = {}): Promise<HostScan> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silent;
  const started = now();
  const row = (rest: Partial<HostScan>): HostScan => ({
    host: target.name,
    address: target.address,
    groups: target.groups,
    scannedAt: new Date(started).toISOString(),
    durationMs: now() - started,
    warnings: [],
    ...rest,
  });
  let host: Host | undefined;
  try {
    const client = options.client ?? {};
    host = await (options.connect ?? ((t, c) => SshHost.connect(t, c, now)))(target, client);
    progress(`${target.name}: connected, scanning`);
    const facts = await scanHostFacts(host, options);
    progress(`${target.name}: ${facts.pending?.length ?? 0} pending update(s)`);
    return row(facts);
  } catch (error) {
    const reason = error instanceof SshHostError ? error.reason : error instanceof HostCommandError ? 'command-failed' : 'error';
    progress(`${target.name}: ${reason}`);
    return row({ error: { reason, message: (error as Error).message } });
  } finally {
    // Only the connection: the server is the team's, never stopped or removed.
    await host?.stop().catch(() => undefined);
  }
}
