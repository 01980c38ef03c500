import { ringHealth } from '../../rollout/engine/health.ts';
import type { RingHealth } from '../../rollout/engine/host-verdict.ts';
import type { ObservationIndex } from '../../rollout/engine/observations.ts';
import type { RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { AuditAction, HostState, RolloutState } from '../../rollout/engine/state.ts';

/*
 * What a ring card says once the rollout has moved on or ended: its health as the engine judged
 * it when the rollback began, and when the ring started and ended. Pure.
 */

export interface RingTiming {
  startedAt: number | null;
  /** When the ring was promoted, completed or rolled back; null while it is still going. */
  endedAt: number | null;
  /** Start to end, or to now while it goes on; null before it starts. */
  durationMs: number | null;
}

/** The last audit entry with this action, for this ring if one is given. */
export function lastEntry(state: RolloutState, action: AuditAction, ring?: number) {
  return state.audit.filter((e) => e.action === action && (ring === undefined || e.ring === ring)).at(-1);
}

export function ringTiming(state: RolloutState, index: number, now: number): RingTiming {
  const ring = state.rings[index];
  const startedAt = ring?.startedAt ?? null;
  if (!ring || startedAt === null) return { startedAt: null, endedAt: null, durationMs: null };
  const endEntry = state.phase === 'completed' && index === state.ring ? lastEntry(state, 'complete') : state.phase === 'rolled-back' ? lastEntry(state, 'rolled-back') : undefined;
  const endedAt = ring.promotedAt ?? endEntry?.at ?? null;
  return { startedAt, endedAt, durationMs: (endedAt ?? now) - startedAt };
}

/**
 * A ring of a rollout that is rolling back or rolled back, judged as the engine judged it when
 * the rollback began. Afterwards its hosts are "rolled back" and no longer judged, so the live
 * figures would say 0 failed where the rollback's own entry says 1 failed over a budget of 0.
 * The rollback records every host it judged failed (HostState.failure), so putting each host back
 * in the phase it had (failed if it carries a failure, healthy if its patch had landed) and
 * stopping the clock and the check results at the rollback gives the engine's figures again.
 */
export function healthAtRollback(state: RolloutState, ring: number, history: ObservationIndex, policy: RolloutPolicy): RingHealth {
  const at = lastEntry(state, 'rollback')?.at ?? state.createdAt;
  const before: RolloutState = { ...state, hosts: state.hosts.map(phaseBeforeRollback) };
  const upToRollback = new Map([...history].map(([host, list]) => [host, list.filter((o) => o.at <= at)]));
  return ringHealth(before, ring, upToRollback, at, policy);
}

function phaseBeforeRollback(host: HostState): HostState {
  if (host.phase !== 'rolling-back' && host.phase !== 'rolled-back') return host;
  if (host.failure) return { ...host, phase: 'failed' };
  return { ...host, phase: host.patchedAt !== null ? 'healthy' : 'patching' };
}
