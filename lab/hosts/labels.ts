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
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 counts from after the parenthesised command name, which may itself hold spaces.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterName[19];
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
  return processStartTime(n) === start;
}

export function hostLabels(runId: string, role: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [RUN_LABEL]: runId, [ROLE_LABEL]: role, [OWNER_LABEL]: ownerToken(), ...extra };
}
