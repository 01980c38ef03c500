import { batchedExecs } from '../checks/exec-batch.ts';
import type { CheckResult } from '../checks/types.ts';
import type { Host, HostProvider, Mount } from '../hosts/host.ts';
import { startService, type ServiceOutcome } from '../hosts/services.ts';
import type { ImageDefinition } from '../images/definition.ts';
import type { SetNetwork, SetNetworks } from './set-network.ts';

/** The checks of one host, whatever their kind (goss, browser, Playwright Test): run against one host at a time. */
export interface CheckSuite {
  run(target: { host: Host; label: string }): Promise<CheckResult[]>;
  close(): Promise<void>;
}

/** One host of a lab set: the run's image, or a host it needs (its database). */
export interface SetMember {
  /** Its name in the set: the run's image name, or the hostname the other hosts reach it by. */
  name: string;
  image: { name: string; tag: string; definition?: ImageDefinition };
  /** Set on the host: how it reaches the hosts it needs (DB_HOST=db). */
  env?: Record<string, string>;
  checks: CheckSuite;
}

export type SetRole = 'baseline' | 'patched' | 'rolled-back';

/** A check result with the host of the set it ran on (topologies only). */
export type HostCheckResult = CheckResult & { host?: string };

/**
 * The hosts of a run, as sets: one set per twin (unpatched and patched), each the run's image and
 * the hosts it needs, each set on a network of its own. A single image is a set of one, with no
 * network and its check ids unchanged. Everything started is remembered, so `removeAll` in the
 * run's `finally` leaves nothing behind, whatever failed.
 */
export class LabSets {
  private readonly hosts: Host[] = [];
  private readonly networks: SetNetwork[] = [];

  constructor(
    /** The run's image first, then the hosts it needs. */
    readonly members: readonly SetMember[],
    private readonly options: { provider: HostProvider; runId: string; mounts: Mount[]; networks?: SetNetworks; onHost?: (host: Host, role: SetRole, member: SetMember) => void },
  ) {
    if (members.length > 1 && !options.networks) throw new Error('a lab set of several hosts needs networks of its own');
  }

  get topology(): boolean {
    return this.members.length > 1;
  }

  member(name: string): SetMember {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no host ${name} in the lab set (hosts: ${this.members.map((m) => m.name).join(', ')})`);
    return found;
  }

  /** Label of a host in messages and file names: "patched", or "patched/db" in a topology. */
  label(role: string, member: string): string {
    return this.topology ? `${role}/${member}` : role;
  }

  async start(role: SetRole): Promise<Map<string, Host>> {
    const network = this.topology ? await this.options.networks?.create(this.options.runId, role) : undefined;
    if (network) this.networks.push(network);
    // allSettled: when one host fails, the others must still be known, so `finally` removes them.
    const settled = await Promise.allSettled(
      this.members.map(async (member) => {
        const host = await this.options.provider.start({
          image: member.image.tag,
          runId: this.options.runId,
          role: this.label(role, member.name),
          mounts: this.options.mounts,
          ports: member.image.definition?.ports ?? [],
          ...(member.env ? { env: member.env } : {}),
        });
        this.hosts.push(host);
        this.options.onHost?.(host, role, member);
        await network?.connect(host, [member.name]);
        return [member.name, host] as const;
      }),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return new Map(settled.map((s) => (s as PromiseFulfilledResult<readonly [string, Host]>).value));
  }

  /** The hosts the run's image needs start first: its service may want its database at start. */
  async startServices(set: Map<string, Host>): Promise<Map<string, ServiceOutcome>> {
    const outcomes = new Map<string, ServiceOutcome>();
    const [primary, ...needed] = this.members;
    await Promise.all(needed.map(async (m) => outcomes.set(m.name, await startService(set.get(m.name) as Host, m.image.definition))));
    if (primary) outcomes.set(primary.name, await startService(set.get(primary.name) as Host, primary.image.definition));
    return outcomes;
  }

  /**
   * Every host's checks on one set; in a topology each id and name says which host it ran on. A
   * host's probes that start together run as one exec (exec-batch.ts): a run checks each twin
   * while the other installs, and each exec costs the engine (or ssh, for a VM) more than its probe.
   */
  async runChecks(set: Map<string, Host>, role: string): Promise<HostCheckResult[]> {
    const perHost = await Promise.all(
      this.members.map(async (m) => {
        const results = await m.checks.run({ host: batchedExecs(set.get(m.name) as Host), label: this.label(role, m.name) });
        return this.topology ? results.map((r) => ({ ...r, id: `${m.name}/${r.id}`, name: `${m.name}: ${r.name}`, host: m.name })) : results;
      }),
    );
    return perHost.flat();
  }

  /** One set's hosts, once the run is done with them; `removeAll` still removes the rest. */
  async remove(set: Map<string, Host>): Promise<void> {
    await Promise.all([...set.values()].map((h) => h.stop().catch(() => undefined)));
  }

  /** Hosts first: Docker refuses to remove a network that still has containers on it. */
  async removeAll(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop().catch(() => undefined)));
    await Promise.all(this.networks.map((n) => n.remove().catch(() => undefined)));
    await Promise.all(this.members.map((m) => m.checks.close().catch(() => undefined)));
  }
}
