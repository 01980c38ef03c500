import Database from 'better-sqlite3';
import { strictJson } from '../../lab/store/json.ts';
import { sqliteCode } from '../../lab/store/sqlite-database.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutState } from '../engine/state.ts';
import type {
  HealthSample,
  NewHealthSample,
  NewStoredRollout,
  NewTransition,
  RolloutStore,
  RolloutSummary,
  StoredObservation,
  StoredRollout,
  StoredTransition,
} from './rollout-store.ts';

interface RolloutRow {
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
  state: string;
  policy: string;
  meta: string;
}

interface TransitionRow {
  seq: number;
  at: number;
  actor: string;
  kind: NewTransition['kind'];
  payload: string;
}

interface HealthRow {
  at: number;
  ring: string;
  pass_rate: number | null;
  failed: number;
  budget: number;
  latency_p50: number | null;
}

/** The columns copied out of the state, so listing rollouts reads no state. */
function summaryColumns(state: RolloutState) {
  return { phase: state.phase, ring: state.rings[state.ring]?.name ?? '' };
}

export class SqliteRolloutStore implements RolloutStore {
  private readonly insertRollout;
  private readonly updateState;
  private readonly seqOf;
  private readonly insertTransition;
  private readonly selectRollout;
  private readonly selectSummaries;
  private readonly selectTransitions;
  private readonly insertHealth;
  private readonly selectHealth;
  private readonly insertObservation;
  private readonly selectObservations;
  private readonly selectObservationsSince;
  private readonly record;

  constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {
    this.insertRollout = db.prepare<Omit<RolloutRow, 'seq'>>(
      `INSERT INTO rollouts (id, scenario, created_at, updated_at, seq, phase, ring, patch_name, patch_version, patch_severity, state, policy, meta)
       VALUES (@id, @scenario, @created_at, @updated_at, 0, @phase, @ring, @patch_name, @patch_version, @patch_severity, @state, @policy, @meta)`,
    );
    this.updateState = db.prepare<{ id: string; expected: number; updated_at: number; phase: string; ring: string; state: string }>(
      `UPDATE rollouts SET seq = seq + 1, updated_at = @updated_at, phase = @phase, ring = @ring, state = @state
       WHERE id = @id AND seq = @expected`,
    );
    this.seqOf = db.prepare<[string], number>('SELECT seq FROM rollouts WHERE id = ?').pluck();
    this.insertTransition = db.prepare<TransitionRow & { rollout_id: string }>(
      `INSERT INTO transitions (rollout_id, seq, at, actor, kind, payload) VALUES (@rollout_id, @seq, @at, @actor, @kind, @payload)`,
    );
    this.selectRollout = db.prepare<[string], RolloutRow>('SELECT * FROM rollouts WHERE id = ?');
    this.selectSummaries = db.prepare<[], Omit<RolloutRow, 'state' | 'policy' | 'meta'>>(
      `SELECT id, scenario, created_at, updated_at, seq, phase, ring, patch_name, patch_version, patch_severity
       FROM rollouts ORDER BY created_at DESC, id`,
    );
    this.selectTransitions = db.prepare<[string, number, number], TransitionRow>(
      'SELECT seq, at, actor, kind, payload FROM transitions WHERE rollout_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.insertHealth = db.prepare<HealthRow & { rollout_id: string }>(
      `INSERT INTO health_samples (rollout_id, at, ring, pass_rate, failed, budget, latency_p50)
       VALUES (@rollout_id, @at, @ring, @pass_rate, @failed, @budget, @latency_p50)`,
    );
    this.selectHealth = db.prepare<[string], HealthRow>(
      'SELECT at, ring, pass_rate, failed, budget, latency_p50 FROM health_samples WHERE rollout_id = ? ORDER BY at, rowid',
    );
    this.insertObservation = db.prepare<{ rollout_id: string; host_id: string; at: number; version: string; checks: string }>(
      'INSERT INTO observations (rollout_id, host_id, at, version, checks) VALUES (@rollout_id, @host_id, @at, @version, @checks)',
    );
    this.selectObservations = db.prepare<[string, number], { host_id: string; at: number; version: string; checks: string }>(
      'SELECT host_id, at, version, checks FROM observations WHERE rollout_id = ? AND at >= ? ORDER BY at, rowid',
    );
    // rowid without AUTOINCREMENT: SQLite gives a new row one more than the largest rowid, and
    // rows are deleted only with their rollout, so a rollout's later rows always have larger ids.
    // Writers are serialised, so no smaller id can commit after a reader saw a larger one.
    this.selectObservationsSince = db.prepare<[string, number], { id: number; host_id: string; at: number; version: string; checks: string }>(
      'SELECT rowid AS id, host_id, at, version, checks FROM observations WHERE rollout_id = ? AND rowid > ? ORDER BY rowid',
    );
    // The update goes first: its `seq = @expected` is the check that the rollout exists and nobody wrote since.
    this.record = db.transaction((row: TransitionRow & { id: string; expected: number; state: string; phase: string; ring: string }) => {
      const { id, expected, at, state, phase, ring } = row;
      const { changes } = this.updateState.run({ id, expected, updated_at: at, state, phase, ring });
      if (changes === 0) {
        const stored = this.seqOf.get(row.id);
        if (stored === undefined) throw new StoreError('not-found', `no rollout ${row.id} is stored`);
        throw new StoreError('stale', `rollout ${row.id} is at transition ${stored}, not ${row.expected}: load it again and recompute`);
      }
      this.insertTransition.run({ rollout_id: row.id, seq: row.seq, at: row.at, actor: row.actor, kind: row.kind, payload: row.payload });
      return row.seq;
    });
  }

  async createRollout({ state, scenario, policy, meta = {} }: NewStoredRollout): Promise<void> {
    const row = {
      id: state.id,
      scenario,
      created_at: state.createdAt,
      updated_at: state.createdAt,
      ...summaryColumns(state),
      patch_name: state.patch.name,
      patch_version: state.patch.version,
      patch_severity: state.patch.severity,
      state: strictJson(state, `state of rollout ${state.id}`),
      policy: strictJson(policy, `policy of rollout ${state.id}`),
      meta: strictJson(meta, `meta of rollout ${state.id}`),
    };
    try {
      this.insertRollout.run(row);
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreError('duplicate', `a rollout ${state.id} is already stored`);
      throw error;
    }
  }

  async recordTransition(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number): Promise<number> {
    if (stateAfter.id !== id) throw new StoreError('invalid', `the state of rollout ${stateAfter.id} cannot be stored as rollout ${id}`);
    const row = {
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
    // Immediate: the write lock is waited for up front. A deferred transaction would read first and
    // could then fail with SQLITE_BUSY on upgrading to a write, which the busy timeout does not wait out.
    return this.record.immediate(row);
  }

  async loadRollout(id: string): Promise<StoredRollout | undefined> {
    const row = this.selectRollout.get(id);
    if (!row) return undefined;
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

  async listRollouts(): Promise<RolloutSummary[]> {
    return this.selectSummaries.all().map((row) => ({
      id: row.id,
      scenario: row.scenario,
      phase: row.phase,
      ring: row.ring,
      patch: { name: row.patch_name, version: row.patch_version, severity: row.patch_severity },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      seq: row.seq,
    }));
  }

  async transitions(id: string, { afterSeq = 0, limit = -1 }: { afterSeq?: number; limit?: number } = {}): Promise<StoredTransition[]> {
    return this.selectTransitions.all(id, afterSeq, limit).map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
  }

  async recordHealthSample(id: string, sample: NewHealthSample): Promise<void> {
    const numbers = [sample.at, sample.passRate ?? 0, sample.failed, sample.budget, sample.latencyP50 ?? 0];
    if (!numbers.every(Number.isFinite)) throw new StoreError('invalid', `health sample of rollout ${id}: ${numbers.join(', ')} are not all finite`);
    try {
      this.insertHealth.run({
        rollout_id: id,
        at: sample.at,
        ring: sample.ring,
        pass_rate: sample.passRate,
        failed: sample.failed,
        budget: sample.budget,
        latency_p50: sample.latencyP50 ?? null,
      });
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new StoreError('not-found', `no rollout ${id} is stored`);
      throw error;
    }
  }

  async healthSamples(id: string): Promise<HealthSample[]> {
    return this.selectHealth.all(id).map((row) => ({
      at: row.at,
      ring: row.ring,
      passRate: row.pass_rate,
      failed: row.failed,
      budget: row.budget,
      latencyP50: row.latency_p50,
    }));
  }

  async recordObservations(id: string, observations: readonly Observation[]): Promise<void> {
    const rows = observations.map((o) => ({ rollout_id: id, host_id: o.hostId, at: o.at, version: o.version, checks: strictJson(o.checks, `observation of ${o.hostId} in rollout ${id}`) }));
    try {
      this.db.transaction(() => {
        for (const row of rows) this.insertObservation.run(row);
      })();
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new StoreError('not-found', `no rollout ${id} is stored`);
      throw error;
    }
  }

  async observations(id: string, { sinceAt = Number.MIN_SAFE_INTEGER }: { sinceAt?: number } = {}): Promise<Observation[]> {
    return this.selectObservations.all(id, sinceAt).map((row) => ({ hostId: row.host_id, at: row.at, version: row.version, checks: JSON.parse(row.checks) as Observation['checks'] }));
  }

  async observationsSince(id: string, afterId: number): Promise<StoredObservation[]> {
    return this.selectObservationsSince
      .all(id, afterId)
      .map((row) => ({ id: row.id, hostId: row.host_id, at: row.at, version: row.version, checks: JSON.parse(row.checks) as Observation['checks'] }));
  }
}
