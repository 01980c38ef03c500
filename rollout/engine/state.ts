import type { CommandName } from './command-names.ts';
import type { DecisionAction, Figures } from './decision.ts';
import { hostsByRing } from './engine-memo.ts';
import { assignRingHosts, PlanError, resolveConcurrency, resolveFailureBudget, type FleetHost, type HealthGate, type RingSpec } from './plan.ts';
import type { Severity } from './policy.ts';
import type { AgeWait } from './age-wait.ts';

/*
 * The whole rollout as plain data: no classes, no Dates, no undefined (absent is null), so
 * JSON.parse(JSON.stringify(state)) gives back an equal state and a restarted process resumes
 * from exactly what was stored. Times are ms since the epoch from the injected clock.
 */

export type Phase = 'running' | 'paused' | 'awaiting-approval' | 'rolling-back' | 'rolled-back' | 'completed';

export type HostPhase = 'pending' | 'patching' | 'healthy' | 'failed' | 'rolling-back' | 'rolled-back';

/** The actor of the engine's own audit entries; people act under their own names. */
export const ENGINE = 'engine';

export interface PatchRef {
  name: string;
  /** The version the rollout installs; "on the new version" means exactly this. */
  version: string;
  severity: Severity;
}

export interface HostFailure {
  reason: string;
  at: number;
  /** A release manager who resumed or promoted past this failure; it still counts against the budget. */
  acceptedBy: string | null;
}

export interface HostState {
  id: string;
  ring: number;
  phase: HostPhase;
  baseVersion: string;
  /** The version the fleet driver last reported. */
  version: string;
  patchStartedAt: number | null;
  /** When the patch finished, well or badly; health is judged on checks from then on. */
  patchedAt: number | null;
  failure: HostFailure | null;
}

export interface Signature {
  by: string;
  at: number;
  reason: string;
}

export interface RingState {
  name: string;
  hostIds: string[];
  concurrency: number;
  failureBudget: number;
  soakMs: number;
  requiresApproval: boolean;
  healthGate: HealthGate;
  approval: Signature | null;
  startedAt: number | null;
  /** When the ring's last host finished patching. */
  soakStartedAt: number | null;
  /** Time the rollout spent paused after the soak began; it does not count as soaking. */
  pausedDuringSoakMs: number;
  promotedAt: number | null;
}

export type AuditAction = Exclude<DecisionAction, 'hold'> | CommandName | 'rolled-back' | 'take-over';

export interface AuditEntry {
  at: number;
  /** ENGINE, or the person who gave the command. */
  actor: string;
  action: AuditAction;
  ring: number;
  reasons: string[];
  figures: Figures;
  /** Hosts the step started patching or rolling back. */
  hosts: string[];
}

export interface RolloutState {
  id: string;
  patch: PatchRef;
  phase: Phase;
  /** Index of the ring being patched, soaked or awaiting approval. */
  ring: number;
  rings: RingState[];
  /** Ring by ring, in the order hosts are patched. */
  hosts: HostState[];
  paused: Signature | null;
  /** Updates younger than the minimum age hold the first patch back; absent in rollouts from before minimum ages. */
  ageWait?: AgeWait | null;
  /**
   * When a driver began driving the rollout after another stopped (killed, paused past its lease,
   * or gone until someone resumed it), oldest first; absent until the first take-over. Nobody
   * checked the hosts in between, so check timeouts count from the take-over (host-verdict.ts).
   */
  takeOvers?: number[];
  createdAt: number;
  audit: AuditEntry[];
}

export interface NewRollout {
  id: string;
  patch: PatchRef;
  /** Hosts that need the patch; one already on patch.version could not be told apart after a rollback. */
  hosts: readonly FleetHost[];
  rings: readonly RingSpec[];
  now: number;
  ageWait?: AgeWait | null;
}

export function createRollout({ id, patch, hosts, rings, now, ageWait }: NewRollout): RolloutState {
  const current = hosts.filter((h) => h.version === patch.version);
  if (current.length > 0) {
    throw new PlanError(current.map((h) => `host ${h.id} already runs ${patch.version}`));
  }
  const membership = assignRingHosts(hosts, rings, id);
  // One pass over the drawn hosts gives both the rings' ids and the host states: with a million
  // hosts, each pass in draw order is a million scattered reads.
  const hostIds = membership.map((members) => new Array<string>(members.length));
  const states: HostState[] = [];
  membership.forEach((members, ring) => {
    const ids = hostIds[ring]!;
    for (let k = 0; k < members.length; k++) {
      const { id: hostId, version } = members[k]!;
      ids[k] = hostId;
      states.push({ id: hostId, ring, phase: 'pending', baseVersion: version, version, patchStartedAt: null, patchedAt: null, failure: null });
    }
  });
  return {
    id,
    patch,
    phase: 'running',
    ring: 0,
    rings: newRingStates(rings, hostIds),
    hosts: states,
    paused: null,
    ...(ageWait ? { ageWait } : {}),
    createdAt: now,
    audit: [],
  };
}

/** The rings of a new rollout, from their specs and the ids each drew (as createRollout makes them). */
export function newRingStates(rings: readonly RingSpec[], hostIds: readonly string[][]): RingState[] {
  return rings.map((spec, index) => {
    const ids = hostIds[index] ?? [];
    return {
      name: spec.name,
      hostIds: ids,
      concurrency: resolveConcurrency(spec.concurrency, ids.length),
      failureBudget: resolveFailureBudget(spec.failureBudget, ids.length),
      soakMs: spec.soakMs,
      requiresApproval: spec.requiresApproval,
      healthGate: { ...spec.healthGate },
      approval: null,
      startedAt: null,
      soakStartedAt: null,
      pausedDuringSoakMs: 0,
      promotedAt: null,
    };
  });
}

export function currentRing(state: RolloutState): RingState {
  const ring = state.rings[state.ring];
  if (!ring) throw new Error(`rollout ${state.id} has no ring ${state.ring}`);
  return ring;
}

export function hostsOfRing(state: RolloutState, ring: number): readonly HostState[] {
  return hostsByRing(state.hosts)[ring] ?? [];
}

/** Hosts the patch may have touched: what a rollback must return to their base version. */
export function mayRunNewVersion(host: HostState): boolean {
  return host.phase !== 'pending' && host.phase !== 'rolled-back';
}

/** Hosts a driver has work in flight on, such as after a restart: finish these before acting on a new decision. */
export function hostsInFlight(state: RolloutState): HostState[] {
  return state.hosts.filter((h) => h.phase === 'patching' || h.phase === 'rolling-back');
}

/** A transition or command the rollout's current state does not allow; the message says why. */
export class RolloutError extends Error {
  override name = 'RolloutError';
}
