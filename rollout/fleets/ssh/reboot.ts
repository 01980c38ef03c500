import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecOptions, ExecResult } from '../../../lab/hosts/host.ts';
import type { RebootPolicy } from './server-fleet-plan.ts';

/** The part of a ServerLink a reboot needs: commands, and waiting for ssh to answer again. */
export interface Rebootable {
  readonly name: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  answersWithin(limitMs: number): Promise<{ ok: true } | { ok: false; last: Error }>;
}

export type RebootResult =
  | { kind: 'not-needed'; why: string }
  | { kind: 'rebooted'; kernel: string; durationMs: number }
  | { kind: 'failed'; reason: string };

/** Fixed scripts. The reboot is left to a detached shell a second later, so this command returns before the connection goes. */
const ISSUE_REBOOT = "setsid sh -c 'sleep 1; if [ -d /run/systemd/system ]; then systemctl reboot; else reboot; fi' </dev/null >/dev/null 2>&1 &";
const NEWEST_KERNEL = "ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1";

async function read(server: Rebootable, argv: string[]): Promise<string> {
  const result = await server.exec(argv, { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`on ${server.name}: ${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * Reboots a patched server as its ring's policy says, then proves it came back on a new boot:
 * ssh answers within `timeoutMs`, /proc's boot id has changed, and it runs the newest kernel
 * installed in /boot (where there is one). The caller runs the checks again after.
 */
export async function rebootAsPolicy(server: Rebootable, policy: RebootPolicy, timeoutMs: number, pollMs = 2_000): Promise<RebootResult> {
  if (policy === 'never') return { kind: 'not-needed', why: 'the ring never reboots' };
  if (policy === 'if-required') {
    const required = await server.exec(['test', '-e', '/var/run/reboot-required'], { timeoutMs: 30_000 });
    if (required.exitCode !== 0) return { kind: 'not-needed', why: 'no package asked for a reboot (/var/run/reboot-required)' };
  }
  const bootBefore = await read(server, ['cat', '/proc/sys/kernel/random/boot_id']);
  const newest = await read(server, ['sh', '-c', NEWEST_KERNEL]);
  const started = Date.now();
  const issued = await server.exec(['sh', '-c', ISSUE_REBOOT], { timeoutMs: 30_000 });
  if (issued.exitCode !== 0) return { kind: 'failed', reason: `reboot (${policy}): the reboot could not be started: ${issued.stderr.trim() || `exit ${issued.exitCode}`}` };
  const deadline = started + timeoutMs;
  let last = 'it still answered on the same boot';
  while (Date.now() < deadline) {
    await sleep(pollMs);
    const back = await server.answersWithin(Math.max(0, deadline - Date.now()));
    if (!back.ok) {
      last = back.last.message;
      break;
    }
    const boot = await read(server, ['cat', '/proc/sys/kernel/random/boot_id']).catch(() => bootBefore);
    if (boot === bootBefore) continue;
    const kernel = await read(server, ['uname', '-r']);
    if (newest && kernel !== newest) return { kind: 'failed', reason: `reboot (${policy}): ${server.name} came back on kernel ${kernel}, but the newest installed is ${newest}` };
    return { kind: 'rebooted', kernel, durationMs: Date.now() - started };
  }
  return { kind: 'failed', reason: `reboot (${policy}): ${server.name} was not back on a new boot within ${Math.round(timeoutMs / 1000)} s (${last})` };
}
