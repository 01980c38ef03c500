import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from '../../../lab/hosts/host.ts';

/** A package manager at work on a server: it holds, or is about to hold, dpkg's lock. */
export interface PackageManagerProcess {
  pid: number;
  command: string;
}

/** Names as /proc/<pid>/comm shows them (15 characters at most): unattended-upgrades is "unattended-upgr". */
const MANAGERS = 'apt|apt-get|aptitude|dpkg|unattended-upgr';

/** Fixed text: prints "pid<TAB>command line" for every package manager process. */
const LIST = `for d in /proc/[0-9]*; do c=$(cat "$d/comm" 2>/dev/null) || continue; case "$c" in ${MANAGERS}) printf '%s\\t%s\\n' "\${d#/proc/}" "$(tr '\\000' ' ' <"$d/cmdline" 2>/dev/null)";; esac; done; exit 0`;

/** LIST's lines. Pure. */
export function parsePackageManagers(text: string): PackageManagerProcess[] {
  return text
    .split('\n')
    .map((line) => /^(\d+)\t(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), command: (m[2] as string).trim() || '?' }))
    .sort((a, b) => a.pid - b.pid);
}

export async function packageManagers(host: Host): Promise<PackageManagerProcess[]> {
  const result = await host.exec(['sh', '-c', LIST], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`on ${host.name}: cannot list running processes: ${result.stderr.trim()}`);
  return parsePackageManagers(result.stdout);
}

/** What a person reads: "pid 812 (apt-get install -y /tmp/x.deb)". Pure. */
export function describeManagers(found: readonly PackageManagerProcess[]): string {
  return found.map((p) => `pid ${p.pid} (${p.command.length > 80 ? `${p.command.slice(0, 80)}…` : p.command})`).join(', ');
}

/**
 * Waits while another apt or dpkg runs on the server (unattended-upgrades, a person), at most
 * `limitMs`. Call it when no transaction of this rollout runs there: every one found is another's.
 * Resolves to those still running at the limit, or an empty list once there are none.
 */
export async function waitForOtherApt(host: Host, limitMs: number, pollMs = 2_000): Promise<PackageManagerProcess[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = await packageManagers(host);
    if (found.length === 0 || Date.now() >= deadline) return found;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}
