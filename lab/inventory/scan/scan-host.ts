import { HostCommandError, mustExec, type ExecOptions, type Host } from '../../hosts/host.ts';
import { DPKG_QUERY_ARGV, isSecurityOrigin, parseAptSimulation, parseDpkgQuery, sourceSuite, type AptPlan } from '../../patches/apt-output.ts';
import type { CandidatePatch } from '../../patches/request.ts';
import { parseCommands, parseDeletedMaps, parseLastUpgrade, parseNeedrestartBatch, parseOsRelease, type HostScan, type StaleServices } from './host-scan.ts';

/** apt and the tools are read in C: the parsers know their English. */
const PLAIN: ExecOptions = { env: { LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 60_000 };

export type HostFacts = Omit<HostScan, 'host' | 'address' | 'groups' | 'scannedAt' | 'durationMs' | 'error'>;

export interface ScanHostOptions {
  /** apt-get update on the host first (default). Without it, pending updates are as its lists last left them. */
  refreshLists?: boolean;
}

/**
 * What a server runs and what it is missing, from the server's own tools: os-release, uname,
 * dpkg, apt (after refreshing its lists), reboot-required, needrestart or /proc. Reads only: no
 * package is installed and no service restarted. Works on any Host.
 */
export async function scanHostFacts(host: Host, options: ScanHostOptions = {}): Promise<HostFacts> {
  const warnings: string[] = [];
  const release = parseOsRelease((await mustExec(host, ['cat', '/etc/os-release'], PLAIN)).stdout);
  const suite = release.VERSION_CODENAME;
  if (!suite) warnings.push('/etc/os-release names no VERSION_CODENAME');
  const kernel = (await mustExec(host, ['uname', '-r'], PLAIN)).stdout.trim();
  const installedPackages = parseDpkgQuery((await mustExec(host, DPKG_QUERY_ARGV, PLAIN)).stdout).size;
  if (options.refreshLists ?? true) {
    // --error-on=any: an archive that cannot be reached must not pass for one with nothing new.
    const update = await host.exec(['apt-get', '-q', '--error-on=any', 'update'], { ...PLAIN, timeoutMs: 300_000 });
    if (update.exitCode !== 0 || update.timedOut) {
      warnings.push(`apt-get update failed, pending updates are from the lists as they were: ${lastLine(update.stderr || update.stdout)}`);
    }
  }
  // dist-upgrade, not upgrade: a security update that needs a new dependency is pending too, as apt list --upgradable shows it.
  const simulation = await mustExec(host, ['apt-get', '-q', '-s', 'dist-upgrade'], { ...PLAIN, timeoutMs: 300_000 });
  const pending = candidatesFromPlan(parseAptSimulation(simulation.stdout), suite ?? '');
  const reboot = await mustExec(host, ['sh', '-c', 'if [ -e /var/run/reboot-required ]; then echo required; cat /var/run/reboot-required.pkgs 2>/dev/null; fi; exit 0'], PLAIN);
  const [flag, ...rebootPackages] = reboot.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const stale = await staleServices(host);
  // The rotated log first: the last line read is the newest.
  const upgrade = await host.exec(['sh', '-c', "date +%z; cat /var/log/dpkg.log.1 /var/log/dpkg.log 2>/dev/null | grep -E '^[0-9-]+ [0-9:]+ upgrade ' | tail -n 1; exit 0"], PLAIN);
  const lastPatchedAt = parseLastUpgrade(upgrade.stdout);
  return {
    ...(suite ? { suite } : {}),
    kernel,
    installedPackages,
    pending,
    rebootRequired: flag === 'required',
    ...(rebootPackages.length > 0 ? { rebootPackages: [...new Set(rebootPackages)].sort() } : {}),
    stale,
    ...(lastPatchedAt ? { lastPatchedAt } : {}),
    warnings,
  };
}

/** Upgrades (not new packages) of an apt plan, each with the archive it comes from. Pure. */
export function candidatesFromPlan(plan: AptPlan, suite: string): CandidatePatch[] {
  const upgrades = plan.installs.flatMap((i) => (i.from === undefined ? [] : [{ ...i, from: i.from }]));
  return upgrades
    .map(({ name, from, to, origin }) => ({ name, installed: from, candidate: to, suite: sourceSuite(origin, suite), origin, security: isSecurityOrigin(origin) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Processes still running replaced code. needrestart knows services and is asked in list-only
 * mode (-r l: it must never restart anything on a team's server); without it, /proc/<pid>/maps
 * shows libraries that were deleted on disk after the process mapped them.
 */
async function staleServices(host: Host): Promise<StaleServices> {
  const has = await host.exec(['sh', '-c', 'command -v needrestart'], PLAIN);
  if (has.exitCode === 0) {
    const batch = await host.exec(['needrestart', '-b', '-r', 'l'], { ...PLAIN, timeoutMs: 120_000 });
    if (batch.exitCode !== 0) throw new HostCommandError(host.name, ['needrestart', '-b', '-r', 'l'], batch);
    return { method: 'needrestart', services: parseNeedrestartBatch(batch.stdout).services, processes: [] };
  }
  // grep exits 1 when no process maps a deleted file: that is the good answer, not a failure.
  const maps = await host.exec(['sh', '-c', "grep -H -F ' (deleted)' /proc/[0-9]*/maps 2>/dev/null; exit 0"], { ...PLAIN, timeoutMs: 120_000 });
  const byPid = parseDeletedMaps(maps.stdout);
  if (byPid.size === 0) return { method: 'proc-maps', services: [], processes: [] };
  const names = await host.exec(['sh', '-c', 'for p; do printf "%s\\t" "$p"; cat "/proc/$p/comm" 2>/dev/null || echo; done', 'sh', ...[...byPid.keys()].map(String)], PLAIN);
  const commands = parseCommands(names.stdout);
  return {
    method: 'proc-maps',
    services: [],
    processes: [...byPid].map(([pid, libraries]) => ({ pid, command: commands.get(pid) ?? '', libraries })),
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-1)[0] ?? '';
}
