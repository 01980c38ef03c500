import type { CandidatePatch } from '../../patches/request.ts';

/** A process still running code from a library file that has since been replaced (deleted on disk). */
export interface StaleProcess {
  pid: number;
  command: string;
  libraries: string[];
}

export interface StaleServices {
  /** needrestart where it is installed; else patchlab's own look at /proc/<pid>/maps. */
  method: 'needrestart' | 'proc-maps';
  /** Services needrestart names; empty with proc-maps, which sees processes, not units. */
  services: string[];
  processes: StaleProcess[];
}

/** What one scan of one server found; a server that could not be scanned has `error` instead. */
export interface HostScan {
  host: string;
  address: string;
  groups: string[];
  /** ISO time the scan began. */
  scannedAt: string;
  durationMs: number;
  error?: {
    /** unreachable, host-key-unknown, host-key-changed, auth, sudo-refused, ssh-error, command-failed */
    reason: string;
    message: string;
  };
  /** VERSION_CODENAME of /etc/os-release. */
  suite?: string;
  /** uname -r */
  kernel?: string;
  installedPackages?: number;
  /** Upgradable packages as the host's own apt sees them after refreshing its lists. */
  pending?: CandidatePatch[];
  rebootRequired?: boolean;
  /** /var/run/reboot-required.pkgs: the packages that asked for the reboot. */
  rebootPackages?: string[];
  stale?: StaleServices;
  /** When dpkg last replaced a package (an upgrade, or a downgrade), from /var/log/dpkg.log. */
  lastPatchedAt?: string;
  /** Things that went wrong without spoiling the scan, such as lists that could not be refreshed. */
  warnings: string[];
}

export function pendingCounts(scan: HostScan): { security: number; other: number } | undefined {
  if (!scan.pending) return undefined;
  const security = scan.pending.filter((p) => p.security).length;
  return { security, other: scan.pending.length - security };
}

/** os-release's KEY=value lines, quotes removed. Pure. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) fields[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

/** `needrestart -b`: its NEEDRESTART-SVC lines name the services to restart. Pure. */
export function parseNeedrestartBatch(text: string): { services: string[]; kernelStatus?: number } {
  const services: string[] = [];
  let kernelStatus: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^NEEDRESTART-([A-Z]+):\s*(.*)$/.exec(line.trim());
    if (m?.[1] === 'SVC' && m[2]) services.push(m[2]);
    if (m?.[1] === 'KSTA') kernelStatus = Number(m[2]);
  }
  return { services, ...(kernelStatus !== undefined && Number.isFinite(kernelStatus) ? { kernelStatus } : {}) };
}

/** Shared libraries by name: libc.so.6, libssl.so.3, libfoo.so. */
const LIBRARY = /\.so(\.\d+)*$/;

/**
 * `grep -H ' (deleted)' /proc/<pid>/maps` lines to the deleted libraries each process maps. Pure.
 * A maps line: address perms offset dev inode path, and " (deleted)" after a replaced file.
 */
export function parseDeletedMaps(text: string): Map<number, string[]> {
  const byPid = new Map<number, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^\/proc\/(\d+)\/maps:\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\/.*) \(deleted\)$/.exec(line);
    if (!m || !LIBRARY.test(m[2] as string)) continue;
    const pid = Number(m[1]);
    byPid.set(pid, (byPid.get(pid) ?? new Set()).add(m[2] as string));
  }
  return new Map([...byPid].sort(([a], [b]) => a - b).map(([pid, libs]) => [pid, [...libs].sort()]));
}

/** "pid<TAB>comm" lines, as the scan prints them. Pure. */
export function parseCommands(text: string): Map<number, string> {
  const commands = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [pid, command] = line.split('\t');
    if (pid && /^\d+$/.test(pid)) commands.set(Number(pid), (command ?? '').trim());
  }
  return commands;
}

/**
 * The server's UTC offset (`date +%z`) on the first line, then the last "upgrade" line of
 * dpkg.log, whose times are the server's local time: the ISO time of that upgrade. Pure.
 */
export function parseLastUpgrade(text: string): string | undefined {
  const [offset, line] = text.split('\n').map((l) => l.trim());
  const zone = /^([+-])(\d{2})(\d{2})$/.exec(offset ?? '');
  const at = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) upgrade /.exec(line ?? '');
  if (!zone || !at) return undefined;
  const ms = Date.parse(`${at[1]}T${at[2]}${zone[1]}${zone[2]}:${zone[3]}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
