import { onHost, probe, ProbeError, type ProbeContext } from './host-probes.ts';

/**
 * What goss's user, group, kernel-param, mount and interface resources read, asked of the host
 * with argv arrays: getent and id for accounts (so NSS sources count, as goss's lookups do),
 * /proc/sys, /proc/self/mountinfo, /sys/class/net and iproute2's `ip`.
 */

/** getent exits 2 when the database has no such key: an answer, not a failure. */
const NOT_FOUND = 2;

export interface Account {
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export async function userAccount(ctx: ProbeContext, name: string): Promise<Account | undefined> {
  const result = await probe(ctx, ['getent', 'passwd', '--', name]);
  if (result.exitCode === NOT_FOUND) return undefined;
  if (result.exitCode !== 0) throw new ProbeError(`${onHost(ctx.target)}: getent passwd ${name} failed: ${result.stderr.trim()}`, false);
  const [, , uid = '', gid = '', , home = '', shell = ''] = result.stdout.trim().split('\n')[0]?.split(':') ?? [];
  return { uid: Number(uid), gid: Number(gid), home, shell };
}

/** Names of every group the user is in, the primary one included, as goss lists them. */
export async function userGroups(ctx: ProbeContext, name: string): Promise<string[]> {
  const result = await probe(ctx, ['id', '-Gn', '--', name]);
  if (result.exitCode !== 0) throw new ProbeError(`${onHost(ctx.target)}: id -Gn ${name} failed: ${result.stderr.trim()}`, false);
  return result.stdout.trim().split(/\s+/).filter(Boolean);
}

export async function groupId(ctx: ProbeContext, name: string): Promise<number | undefined> {
  const result = await probe(ctx, ['getent', 'group', '--', name]);
  if (result.exitCode === NOT_FOUND) return undefined;
  if (result.exitCode !== 0) throw new ProbeError(`${onHost(ctx.target)}: getent group ${name} failed: ${result.stderr.trim()}`, false);
  return Number(result.stdout.trim().split('\n')[0]?.split(':')[2]);
}

export type KernelParam = { value: string } | { missing: true } | { unreadable: string };

/** As goss's sysctl reads it: /proc/sys with the dots of the name as slashes. */
export async function kernelParam(ctx: ProbeContext, name: string): Promise<KernelParam> {
  const result = await probe(ctx, ['cat', '--', `/proc/sys/${name.replaceAll('.', '/')}`]);
  if (result.exitCode === 0) return { value: result.stdout.trim() };
  if (/No such file or directory|Not a directory/.test(result.stderr)) return { missing: true };
  return { unreadable: result.stderr.trim() };
}

export interface MountEntry {
  source: string;
  filesystem: string;
  /** Per-mount options (rw, relatime, nosuid): goss's `opts`. */
  opts: string[];
  /** The filesystem's own options: goss's `vfs-opts`. */
  vfsOpts: string[];
}

export async function mountAt(ctx: ProbeContext, mountpoint: string): Promise<MountEntry | undefined> {
  const result = await probe(ctx, ['cat', '/proc/self/mountinfo']);
  if (result.exitCode !== 0) throw new ProbeError(`${onHost(ctx.target)}: cannot read /proc/self/mountinfo: ${result.stderr.trim()}`, false);
  return parseMountInfo(result.stdout).get(mountpoint.length > 1 ? mountpoint.replace(/\/+$/, '') : mountpoint);
}

/**
 * /proc/self/mountinfo by mount point. Where two mounts share a point, the later one is kept:
 * it is the one in effect. Pure.
 */
export function parseMountInfo(text: string): Map<string, MountEntry> {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  const split = (s: string) => (s ? unescape(s).split(',') : []);
  const mounts = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    mounts.set(unescape(fields[4] ?? ''), {
      opts: [...new Set(split(fields[5] ?? ''))],
      filesystem: fields[dash + 1] ?? '',
      source: unescape(fields[dash + 2] ?? ''),
      vfsOpts: split(fields[dash + 3] ?? ''),
    });
  }
  return mounts;
}

/** Percent of the filesystem's blocks in use, rounded, as goss computes it from statfs. */
export async function mountUsage(ctx: ProbeContext, mountpoint: string, timeoutMs: number): Promise<number> {
  const result = await probe(ctx, ['timeout', (timeoutMs / 1000).toFixed(3), 'stat', '-f', '-c', '%b %f', '--', mountpoint]);
  if (result.exitCode !== 0) {
    const why = result.exitCode === 124 ? `no answer within ${timeoutMs} ms` : result.stderr.trim();
    throw new ProbeError(`${onHost(ctx.target)}: cannot read the usage of ${mountpoint}: ${why}`, false);
  }
  const [blocks = 0, free = 0] = result.stdout.trim().split(' ').map(Number);
  return blocks > 0 ? Math.round((1 - free / blocks) * 100) : 0;
}

export interface NetworkInterface {
  mtu: number;
}

export async function networkInterface(ctx: ProbeContext, name: string): Promise<NetworkInterface | undefined> {
  const result = await probe(ctx, ['cat', '--', `/sys/class/net/${name}/mtu`]);
  if (result.exitCode !== 0) return undefined;
  return { mtu: Number(result.stdout.trim()) };
}

/** The interface's addresses with their prefix length ("172.17.0.2/16"), as goss lists them. */
export async function interfaceAddresses(ctx: ProbeContext, name: string): Promise<string[]> {
  const result = await probe(ctx, ['ip', '-o', 'addr', 'show', 'dev', name]);
  if (result.exitCode !== 0) {
    const missing = /not found|No such file/.test(result.stderr) || result.exitCode === 127;
    throw new ProbeError(`${onHost(ctx.target)}: ${missing ? 'addrs needs the ip command (iproute2), which the host lacks' : `ip addr show dev ${name} failed: ${result.stderr.trim()}`}`, false);
  }
  return [...result.stdout.matchAll(/\binet6? (\S+)/g)].map((m) => m[1] as string);
}
