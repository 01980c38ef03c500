import { ringHealth } from '../../rollout/engine/health.ts';
import { type RingHealth } from '../../rollout/engine/host-verdict.ts';
import { failingChecks, indexObservations, type ObservationIndex, type ObservedCheck, type Observation } from '../../rollout/engine/observations.ts';
import { availableActions, type AvailableActions } from '../../rollout/engine/commands.ts';
import { isSettled, isUnderway } from '../../rollout/engine/phase.ts';
import { soakFor, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { HostFailure, HostPhase, Phase, RolloutState, Signature } from '../../rollout/engine/state.ts';
import { hostEvidence, type HostEvidence } from './host-evidence.ts';
import { healthAtRollback, ringTiming, type RingTiming } from './ring-history.ts';

/*
 * What the rollout page shows, worked out from the stored rollout, its check results and the
 * time: pure, so the page and its tests see the same figures the engine judges by (ringHealth
 * with the same policy), and the buttons offered are the commands the state would accept.
 */

export type RingStatus =
  | 'waiting'
  | 'awaiting-approval'
  | 'patching'
  | 'soaking'
  | 'soaked'
  | 'paused'
  | 'promoted'
  | 'completed'
  | 'rolling-back'
  | 'rolled-back'
  | 'not-reached';

export interface SoakView {
  totalMs: number;
  elapsedMs: number;
  leftMs: number;
}

export interface RingView {
  index: number;
  name: string;
  size: number;
  status: RingStatus;
  current: boolean;
  counts: Record<HostPhase, number>;
  /** The engine's own judgement; null for a ring the rollout has not reached. */
  health: RingHealth | null;
  /** Whether `health` is the judgement now, or the one the rollback was decided on (see healthAtRollback). */
  healthAsOf: 'now' | 'rollback';
  timing: RingTiming;
  failureBudget: number;
  concurrency: number;
  /** Soak as the policy scales it, and how far it has gone; null before the ring is fully patched. */
  soak: SoakView | null;
  plannedSoakMs: number;
  requiresApproval: boolean;
  approval: Signature | null;
}

export interface LastCheck {
  at: number;
  version: string;
  checks: readonly ObservedCheck[];
  /** Checks that did not pass; null when every check was skipped. */
  failing: string[] | null;
  /** Whether the checks ran on the patch's version, rather than the base one (before the patch, or after a rollback). */
  onTarget: boolean;
}

export interface HostView {
  id: string;
  ring: number;
  phase: HostPhase;
  baseVersion: string;
  version: string;
  onTarget: boolean;
  failure: HostFailure | null;
  lastCheck: LastCheck | null;
  /** The failing checks behind a failure or a suspicion, with what they expected and got. */
  evidence: HostEvidence | null;
}


export interface RolloutView {
  state: RolloutState;
  rings: RingView[];
  hosts: HostView[];
  actions: AvailableActions;
  policy: RolloutPolicy;
  /** Hosts patched to the target version over all hosts. */
  progress: { onTarget: number; total: number };
  /** Nothing more will happen on its own. */
  finished: boolean;
}

const PHASES: readonly HostPhase[] = ['pending', 'patching', 'healthy', 'failed', 'rolling-back', 'rolled-back'];

/** `observations` as stored, or already indexed by host (the page keeps an index it adds to). */
export function rolloutView(state: RolloutState, policy: RolloutPolicy, observations: readonly Observation[] | ObservationIndex, now: number): RolloutView {
  const index = Array.isArray(observations) ? indexObservations(observations) : (observations as ObservationIndex);
  const hosts: HostView[] = state.hosts.map((host) => {
    const history = index.get(host.id) ?? [];
    const last = history.at(-1);
    return {
      id: host.id,
      ring: host.ring,
      phase: host.phase,
      baseVersion: host.baseVersion,
      version: host.version,
      onTarget: host.version === state.patch.version,
      failure: host.failure,
      lastCheck: last ? { at: last.at, version: last.version, checks: last.checks, failing: failingChecks(last), onTarget: last.version === state.patch.version } : null,
      evidence: hostEvidence(host, history, state.patch.version),
    };
  });
  const rings = state.rings.map((ring, i): RingView => {
    const counts = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<HostPhase, number>;
    for (const host of state.hosts) if (host.ring === i) counts[host.phase]++;
    const reached = i <= state.ring;
    const rolledBack = state.phase === 'rolling-back' || state.phase === 'rolled-back';
    return {
      index: i,
      name: ring.name,
      size: ring.hostIds.length,
      status: ringStatus(state, i, counts),
      current: i === state.ring && isUnderway(state.phase),
      counts,
      health: !reached ? null : rolledBack ? healthAtRollback(state, i, index, policy) : ringHealth(state, i, index, now, policy),
      healthAsOf: rolledBack ? 'rollback' : 'now',
      timing: ringTiming(state, i, now),
      failureBudget: ring.failureBudget,
      concurrency: ring.concurrency,
      // A soak only counts down while the rollout can still go on.
      soak: i === state.ring && isUnderway(state.phase) ? soakOf(state, policy, now) : null,
      plannedSoakMs: soakFor(ring, policy),
      requiresApproval: ring.requiresApproval,
      approval: ring.approval,
    };
  });
  return {
    state,
    rings,
    hosts,
    actions: availableActions(state),
    policy,
    progress: { onTarget: hosts.filter((h) => h.onTarget).length, total: hosts.length },
    finished: isSettled(state),
  };
}


function ringStatus(state: RolloutState, i: number, counts: Record<HostPhase, number>): RingStatus {
  if (state.phase === 'rolling-back' || state.phase === 'rolled-back') return i <= state.ring ? state.phase : 'not-reached';
  if (i < state.ring) return 'promoted';
  if (i > state.ring) return 'waiting';
  if (state.phase === 'completed') return 'completed';
  if (state.phase === 'awaiting-approval') return 'awaiting-approval';
  if (state.phase === 'paused') return 'paused';
  if (counts.pending > 0 || counts.patching > 0) return state.rings[i]?.startedAt === null && counts.patching === 0 ? 'waiting' : 'patching';
  const soak = state.rings[i]?.soakStartedAt;
  return soak === null || soak === undefined ? 'patching' : 'soaking';
}

/** The current ring's soak, with time spent paused since the soak began left out, as the engine counts it. */
export function soakOf(state: RolloutState, policy: RolloutPolicy, now: number): SoakView | null {
  const ring = state.rings[state.ring];
  if (!ring || ring.soakStartedAt === null) return null;
  const totalMs = soakFor(ring, policy);
  const pausedNow = state.paused ? Math.max(0, now - Math.max(state.paused.at, ring.soakStartedAt)) : 0;
  const elapsedMs = Math.max(0, now - ring.soakStartedAt - ring.pausedDuringSoakMs - pausedNow);
  return { totalMs, elapsedMs, leftMs: Math.max(0, totalMs - elapsedMs) };
}

