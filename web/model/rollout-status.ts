import type { Phase } from '../../rollout/engine/state.ts';

/*
 * What a rollout is doing, in one word or a few, as the rollouts list, the API and the CLI say it:
 * its phase, except that a running rollout whose first patch waits for its updates' minimum age
 * says so, with until when ("running" would promise hosts being patched). Pure.
 */

export type RolloutStatus = { key: Phase; until: null } | { key: 'waiting-for-age'; until: number };

/** `ageWaitUntil`: until when the rollout's age wait lasts, null without one (or once overridden). */
export function rolloutStatus(phase: Phase, ageWaitUntil: number | null, now: number): RolloutStatus {
  if (phase === 'running' && ageWaitUntil !== null && now < ageWaitUntil) return { key: 'waiting-for-age', until: ageWaitUntil };
  return { key: phase, until: null };
}

/** "waiting for age until 2026-12-10T09:00:00.000Z", or the phase in words. */
export function statusText(status: RolloutStatus, date: (at: number) => string = (at) => new Date(at).toISOString()): string {
  return status.key === 'waiting-for-age' ? `waiting for age until ${date(status.until)}` : status.key.replace(/-/g, ' ');
}
