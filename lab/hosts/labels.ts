import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';

/** Every container, image and volume patchlab makes carries these, so it can always find its own. */
export const RUN_LABEL = 'patchlab.run';
export const ROLE_LABEL = 'patchlab.role';
export const OWNER_LABEL = 'patchlab.owner';
/** Hosts that must outlive the process that started them (a rollout's fleet) say who owns them instead. */
export const KEEP_LABEL = 'patchlab.keep';

/**
 * host:pid:starttime. The start time guards against a reused pid making a dead owner look alive.
 */
export function ownerToken(pid = process.pid): string {
  return `${hostname()}:${pid}:${processStartTime(pid) ?? 0}`;
}

export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** /proc/<pid>/stat from field 3 on: what follows the parenthesised command name, which may itself hold spaces. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function isOwnerAlive(token: string | undefined): boolean {
  if (!token) return false;
  const [host, pid, start] = token.split(':');
  if (host !== hostname()) return true; // another machine's process: not ours to judge
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const stat = procStat(n);
  // A zombie has died; it only waits for its parent (or init, slow to get to it) to collect it.
  return stat !== undefined && stat[19] === start && stat[0] !== 'Z' && stat[0] !== 'X';
}

export function hostLabels(runId: string, role: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [RUN_LABEL]: runId, [ROLE_LABEL]: role, [OWNER_LABEL]: ownerToken(), ...extra };
}
