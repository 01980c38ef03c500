import { formatDuration, listNames } from './format.ts';

/** One update of the patch and when patchlab first saw it pending. */
export interface UpdateAge {
  name: string;
  version: string;
  firstSeenAt: number;
}

/**
 * "Approve updates once they have been upgradable for N days": a rollout whose patch holds a
 * younger update patches no host before `until`, unless an admin overrides it with a reason.
 */
export interface AgeWait {
  until: number;
  minimumAgeMs: number;
  /** The updates younger than the minimum age when the rollout was created, youngest first. */
  young: UpdateAge[];
  /** The admin who cut the wait short, when, and why (a Signature of state.ts, which imports this file). */
  override: { by: string; at: number; reason: string } | null;
}

/**
 * The wait a patch needs, or null when every update is old enough. An update nobody saw before
 * counts as first seen now. Pure.
 */
export function ageWaitFor(updates: readonly UpdateAge[], minimumAgeMs: number, now: number): AgeWait | null {
  if (minimumAgeMs <= 0) return null;
  const young = updates.filter((u) => u.firstSeenAt + minimumAgeMs > now).sort((a, b) => b.firstSeenAt - a.firstSeenAt || a.name.localeCompare(b.name));
  const youngest = young[0];
  if (!youngest) return null;
  return { until: youngest.firstSeenAt + minimumAgeMs, minimumAgeMs, young, override: null };
}

/** Until when the rollout waits, or null when it does not (any more): the one question every view asks. */
export function waitingUntil(wait: AgeWait | null | undefined, now: number): number | null {
  if (!wait || wait.override || now >= wait.until) return null;
  return wait.until;
}

export function describeAgeWait(wait: AgeWait): string[] {
  const iso = (at: number) => new Date(at).toISOString();
  const named = listNames(wait.young.map((u) => `${u.name} ${u.version} (first seen ${iso(u.firstSeenAt)})`), 3);
  return [
    `waiting until ${iso(wait.until)}: the minimum age is ${formatDuration(wait.minimumAgeMs)} and ${wait.young.length} update${wait.young.length === 1 ? ' is' : 's are'} younger: ${named}`,
    'no host is patched before then, unless an admin overrides the wait with a reason',
  ];
}
