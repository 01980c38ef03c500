import { InvalidArgumentError, type Command } from 'commander';
import { loadInventory } from '../../lab/inventory/load.ts';
import { JsonHostScanStore } from '../../lab/inventory/scan/scan-store.ts';
import { scanInventory } from '../../lab/inventory/scan/scan-inventory.ts';
import { scanTable } from '../../lab/inventory/scan/scan-table.ts';
import { HOST_COLUMNS, hostCells, hostCompliance } from '../../lab/inventory/scan/compliance.ts';
import { toCsv } from '../../lab/inventory/scan/csv.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { sightingsOfScan } from '../../lab/sightings/sightings-of.ts';
import { withStore } from './common.ts';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

interface ScanFlags {
  inventory?: string;
  json?: boolean;
  parallel: number;
  sshConfig?: string;
  acceptNewHostKeys?: boolean;
  connectTimeout: number;
  refresh: boolean;
}

export function inventoryCommand(program: Command): void {
  const inventory = program
    .command('inventory')
    .description('a team\'s servers: the latest scan of each (suite, kernel, pending updates, reboot), or `inventory scan`')
    .option('--inventory <file>', 'only the hosts of this inventory, and those never scanned')
    .option('--json', 'print JSON')
    .option('--csv', 'print compliance per host as CSV, as the Hosts page exports it')
    .action((flags: { inventory?: string; json?: boolean; csv?: boolean }) => {
      const store = new JsonHostScanStore();
      let scans = store.latest();
      let unscanned: { name: string; groups: string[] }[] = [];
      if (flags.inventory) {
        const hosts = loadInventory(flags.inventory).hosts;
        const names = new Set(hosts.map((h) => h.name));
        scans = scans.filter((s) => names.has(s.host));
        unscanned = hosts.filter((h) => !scans.some((s) => s.host === h.name));
      }
      if (flags.csv) process.stdout.write(toCsv(HOST_COLUMNS, hostCompliance(scans, (host) => store.firstSeen(host)).map((h) => hostCells(h, Date.now()))));
      else if (flags.json) console.log(JSON.stringify(scans, null, 2));
      else console.log(scans.length + unscanned.length > 0 ? scanTable(scans, Date.now(), unscanned) : 'no scans yet: run `patchlab inventory scan --inventory FILE`');
    });
  inventory
    .command('scan')
    .description('scan every server of an inventory over SSH (read-only): suite, kernel, packages, pending security and other updates from apt, reboot required, processes running replaced libraries')
    // Not required here: commander gives `inventory scan --inventory F` to the parent command,
    // whose own --inventory has the same name. optsWithGlobals() reads either.
    .option('--inventory <file>', 'patchlab YAML, or an Ansible INI or YAML inventory (required)')
    .option('--json', 'print the scans as JSON')
    .option('--parallel <n>', 'servers scanned at once', positive, 4)
    .option('--ssh-config <file>', 'ssh config file (ssh -F) instead of ~/.ssh/config')
    .option('--accept-new-host-keys', 'record the host key of a server seen for the first time (a changed key is still refused)')
    .option('--connect-timeout <seconds>', 'ssh ConnectTimeout', positive, 10)
    .option('--no-refresh', 'do not run apt-get update on the servers: pending updates as their lists stand')
    .action(async (_flags: ScanFlags, command: Command) => {
      const flags = command.optsWithGlobals<ScanFlags>();
      if (!flags.inventory) command.error('error: required option \'--inventory <file>\' not specified');
      const hosts = loadInventory(flags.inventory);
      const progress = stderrProgress('inventory');
      progress(`scanning ${hosts.hosts.length} host(s) of ${flags.inventory}, ${flags.parallel} at a time`);
      const scans = await scanInventory(hosts, {
        parallel: flags.parallel,
        refreshLists: flags.refresh,
        client: {
          ...(flags.sshConfig ? { configFile: flags.sshConfig } : {}),
          hostKeys: flags.acceptNewHostKeys ? 'accept-new' : 'strict',
          connectTimeoutSeconds: flags.connectTimeout,
        },
        progress,
      });
      const store = new JsonHostScanStore();
      for (const scan of scans) store.save(scan);
      // The first sighting of each update, for a minimum age before it is rolled out.
      await withStore(async (db) => {
        for (const seen of scans.map(sightingsOfScan)) await db.noteSightings(seen.updates, seen.at, seen.seenBy);
      });
      console.log(flags.json ? JSON.stringify(scans, null, 2) : scanTable(scans, Date.now()));
      // 1: some server could not be scanned; its row says why.
      process.exitCode = scans.some((s) => s.error) ? 1 : 0;
    });
}
