import { strictJson } from '../../lab/store/json.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutState } from '../engine/state.ts';
import type {
  HealthSample,
  NewHealthSample,
  NewStoredRollout,
  NewTransition,
  RolloutSummary,
  StoredHealthSample,
  StoredObservation,
  StoredRollout,
  StoredTransition,
} from './rollout-store.ts';

/*
 * The rows every rollout store keeps, whatever database holds them: SQLite and PostgreSQL name
 * their columns alike, so turning values into rows (with the checks that refuse what would not
 * come back equal) and rows back into values is written once, here. Only the SQL differs.
 */

export interface RolloutRow {
  id: string;
  scenario: string;
  created_at: number;
  updated_at: number;
  seq: number;
  phase: RolloutSummary['phase'];
  ring: string;
  patch_name: string;
  patch_version: string;
  patch_severity: RolloutSummary['patch']['severity'];
  age_wait_until: number | null;
  /** meta.policyChoice as JSON, copied out so that a list of rollouts can say which policy applies. */
  policy_choice: string | null;
  state: string;
  policy: string;
  meta: string;
}

export type RolloutSummaryRow = Omit<RolloutRow, 'state' | 'policy' | 'meta'>;

export interface TransitionRow {
  seq: number;
  at: number;
  actor: string;
  kind: NewTransition['kind'];
  payload: string;
}

/** A transition ready to record: its row, the state after it, and the seq it must follow. */
export interface TransitionWrite extends TransitionRow {
  id: string;
  expected: number;
  state: string;
  phase: string;
  ring: string;
  age_wait_until: number | null;
}

export interface HealthRow {
  at: number;
  ring: string;
  pass_rate: number | null;
  failed: number;
  budget: number;
  latency_p50: number | null;
}

export interface ObservationRow {
  host_id: string;
  at: number;
  version: string;
  checks: string;
}

/** The columns copied out of the state, so listing rollouts reads no state. */
function summaryColumns(state: RolloutState) {
  const wait = state.ageWait;
  return { phase: state.phase, ring: state.rings[state.ring]?.name ?? '', age_wait_until: wait && !wait.override ? wait.until : null };
}

export function newRolloutRow({ state, scenario, policy, meta = {} }: NewStoredRollout): Omit<RolloutRow, 'seq'> {
  return {
    id: state.id,
    scenario,
    created_at: state.createdAt,
    updated_at: state.createdAt,
    ...summaryColumns(state),
    patch_name: state.patch.name,
    patch_version: state.patch.version,
    patch_severity: state.patch.severity,
    policy_choice: isRecord(meta.policyChoice) ? strictJson(meta.policyChoice, `policy choice of rollout ${state.id}`) : null,
    state: strictJson(state, `state of rollout ${state.id}`),
    policy: strictJson(policy, `policy of rollout ${state.id}`),
    meta: strictJson(meta, `meta of rollout ${state.id}`),
  };
}

export function storedRollout(row: RolloutRow): StoredRollout {
  return {
    id: row.id,
    scenario: row.scenario,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    state: JSON.parse(row.state) as RolloutState,
    policy: JSON.parse(row.policy) as StoredRollout['policy'],
    meta: JSON.parse(row.meta) as StoredRollout['meta'],
    seq: row.seq,
  };
}

export function rolloutSummary(row: RolloutSummaryRow): RolloutSummary {
  return {
    id: row.id,
    scenario: row.scenario,
    phase: row.phase,
    ring: row.ring,
    patch: { name: row.patch_name, version: row.patch_version, severity: row.patch_severity },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    seq: row.seq,
    ageWaitUntil: row.age_wait_until,
    policyChoice: row.policy_choice === null ? null : (JSON.parse(row.policy_choice) as Record<string, unknown>),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The columns a list of rollouts reads: everything but the state, the policy and the meta. */
export const SUMMARY_COLUMNS = 'id, scenario, created_at, updated_at, seq, phase, ring, patch_name, patch_version, patch_severity, age_wait_until, policy_choice';

/** Refuses ('invalid') a state of another rollout, and a state or payload JSON would not give back equal. */
export function transitionWrite(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number): TransitionWrite {
  if (stateAfter.id !== id) throw new StoreError('invalid', `the state of rollout ${stateAfter.id} cannot be stored as rollout ${id}`);
  return {
    id,
    expected: expectedSeq,
    seq: expectedSeq + 1,
    at: transition.at,
    actor: transition.actor,
    kind: transition.kind,
    payload: strictJson(transition.payload, `payload of a ${transition.kind} transition of rollout ${id}`),
    state: strictJson(stateAfter, `state of rollout ${id}`),
    ...summaryColumns(stateAfter),
  };
}

export const storedTransition = (row: TransitionRow): StoredTransition => ({ ...row, payload: JSON.parse(row.payload) as unknown });

/** Refuses ('invalid') a sample with a number that is not finite. */
export function healthRow(id: string, sample: NewHealthSample): HealthRow {
  const numbers = [sample.at, sample.passRate ?? 0, sample.failed, sample.budget, sample.latencyP50 ?? 0];
  if (!numbers.every(Number.isFinite)) throw new StoreError('invalid', `health sample of rollout ${id}: ${numbers.join(', ')} are not all finite`);
  return { at: sample.at, ring: sample.ring, pass_rate: sample.passRate, failed: sample.failed, budget: sample.budget, latency_p50: sample.latencyP50 ?? null };
}

export const healthSample = (row: HealthRow): HealthSample => ({
  at: row.at,
  ring: row.ring,
  passRate: row.pass_rate,
  failed: row.failed,
  budget: row.budget,
  latencyP50: row.latency_p50,
});

/** Refuses ('invalid') the whole batch when one observation's checks JSON would not give back equal. */
export function observationRows(id: string, observations: readonly Observation[]): ObservationRow[] {
  return observations.map((o) => ({ host_id: o.hostId, at: o.at, version: o.version, checks: strictJson(o.checks, `observation of ${o.hostId} in rollout ${id}`) }));
}

export const observation = (row: ObservationRow): Observation => ({ hostId: row.host_id, at: row.at, version: row.version, checks: JSON.parse(row.checks) as Observation['checks'] });

export const storedObservation = (row: ObservationRow & { id: number }): StoredObservation => ({ id: row.id, ...observation(row) });

export const storedHealthSample = (row: HealthRow & { id: number }): StoredHealthSample => ({ id: row.id, ...healthSample(row) });

export const rolloutNotFound = (id: string) => new StoreError('not-found', `no rollout ${id} is stored`);

export const rolloutDuplicate = (id: string) => new StoreError('duplicate', `a rollout ${id} is already stored`);

export const staleTransition = (id: string, stored: number, expected: number) =>
  new StoreError('stale', `rollout ${id} is at transition ${stored}, not ${expected}: load it again and recompute`);
