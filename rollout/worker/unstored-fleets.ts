import { durationFromEnv } from '../../lab/config/duration.ts';

/*
 * A coordinator that dies while its workers start a rollout's fleet, and is never run again with
 * that rollout's id, leaves hosts that no rollout record names: the owner label of each names the
 * live worker that started it, so no reaper of dead owners takes them. A worker judges them here
 * (pure; the facts come from its engine and the database) and removes those past all doubt.
 */

/** What a worker knows of one rollout id whose fleet hosts it found on its engine. */
export interface UnstoredFleetFacts {
  rolloutId: string;
  /** The fleet hosts on this engine, by host id, with when each was created (ms). */
  hosts: readonly { hostId: string; createdAt: number }[];
  /** Whether the store holds a rollout of this id. */
  stored: boolean;
  /** Whether a driver holds the rollout's lease now (a coordinator still starting it holds one). */
  leased: boolean;
  /** Whether a prepare or start job of the rollout still waits or runs. */
  startPending: boolean;
  /** When a worker last finished starting hosts of it (ms), if one is known. */
  startedAt: number | null;
}

export type UnstoredVerdict = { reap: true; hosts: string[]; since: number } | { reap: false; why: string };

/** Default grace after the last start finished: longer than any pause between a start's answer and its rollout's record. */
export const DEFAULT_UNSTORED_GRACE_MS = 5 * 60_000;
export const UNSTORED_GRACE_VARIABLE = 'PATCHLAB_UNSTORED_FLEET_GRACE';

/** Whether a worker removes a rollout's hosts that no record names, and why not when it keeps them. Pure. */
export function judgeUnstoredFleet(facts: UnstoredFleetFacts, now: number, graceMs: number): UnstoredVerdict {
  if (facts.hosts.length === 0) return { reap: false, why: 'no host' };
  if (facts.stored) return { reap: false, why: 'the rollout is stored' };
  if (facts.leased) return { reap: false, why: 'a driver holds its lease' };
  if (facts.startPending) return { reap: false, why: 'its start is not done' };
  const since = Math.max(facts.startedAt ?? 0, ...facts.hosts.map((h) => h.createdAt));
  if (now - since < graceMs) return { reap: false, why: `within the grace of ${graceMs} ms since its start` };
  return { reap: true, hosts: facts.hosts.map((h) => h.hostId).sort(), since };
}

/** PATCHLAB_UNSTORED_FLEET_GRACE as a duration (30s, 5m); unset: the default; unusable: an error naming the variable. */
export function unstoredGraceFrom(env: NodeJS.ProcessEnv = process.env): number {
  return durationFromEnv(env, UNSTORED_GRACE_VARIABLE, DEFAULT_UNSTORED_GRACE_MS);
}
