import { LATENCY_SOAK_EXTENSION, soakFor, type RolloutPolicy } from '../engine/policy.ts';
import type { RingState, RolloutState } from '../engine/state.ts';

/** When the ring's soak ends as things stand; null before it started. Pauses during the soak do not count. */
export function soakEndsAt(ring: RingState, policy: RolloutPolicy): number | null {
  return ring.soakStartedAt === null ? null : ring.soakStartedAt + ring.pausedDuringSoakMs + soakFor(ring, policy);
}

/** When a ring whose latency gate still lacks samples stops soaking on for them, as the engine counts it. */
export function latencyWaitEndsAt(ring: RingState, policy: RolloutPolicy): number | null {
  return ring.soakStartedAt === null ? null : ring.soakStartedAt + ring.pausedDuringSoakMs + soakFor(ring, policy) * LATENCY_SOAK_EXTENSION;
}

/** The ring has soaked as long as the policy asks (measured as the engine measures it). */
export function soakOver(ring: RingState, policy: RolloutPolicy, now: number): boolean {
  return ring.soakStartedAt !== null && now - ring.soakStartedAt - ring.pausedDuringSoakMs >= soakFor(ring, policy);
}

/**
 * While the current ring soaks, or the rollout is paused or awaits approval, the engine holds
 * whatever checks say, unless a host turns failed. A check that only raises or clears a
 * suspicion then needs no decision; at other times it may unblock one.
 */
export function engineIsQuiet(state: RolloutState, policy: RolloutPolicy, now: number): boolean {
  if (state.phase === 'paused' || state.phase === 'awaiting-approval') return true;
  const ring = state.rings[state.ring];
  if (state.phase !== 'running' || !ring || ring.soakStartedAt === null) return false;
  return !soakOver(ring, policy, now);
}
