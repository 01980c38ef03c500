import Database from 'better-sqlite3';
import { sqliteCode } from '../../lab/store/sqlite-database.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutState } from '../engine/state.ts';
import {
  healthRow,
  healthSample,
  newRolloutRow,
  observation,
  observationRows,
  rolloutDuplicate,
  rolloutNotFound,
  rolloutSummary,
  staleTransition,
  storedHealthSample,
  storedObservation,
  storedRollout,
  storedTransition,
  SUMMARY_COLUMNS,
  transitionWrite,
  type HealthRow,
  type ObservationRow,
  type RolloutRow,
  type RolloutSummaryRow,
  type TransitionRow,
  type TransitionWrite,
} from './rollout-rows.ts';
import { checkFence, type LeaseFence, type LeaseRow } from './lease-store.ts';
import type {
  HealthSample,
  NewHealthSample,
  NewStoredRollout,
  NewTransition,
  RolloutStore,
  RolloutSummary,
  StoredHealthSample,
  StoredObservation,
  StoredRollout,
  StoredTransition,
} from './rollout-store.ts';

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
  private readonly selectHealthSince;
  private readonly insertObservation;
  private readonly selectObservations;
  private readonly selectObservationsSince;
  private readonly record;
  private readonly leaseOf;

  constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {
    this.insertRollout = db.prepare<Omit<RolloutRow, 'seq'>>(
      `INSERT INTO rollouts (id, scenario, created_at, updated_at, seq, phase, ring, patch_name, patch_version, patch_severity, age_wait_until, policy_choice, state, policy, meta)
       VALUES (@id, @scenario, @created_at, @updated_at, 0, @phase, @ring, @patch_name, @patch_version, @patch_severity, @age_wait_until, @policy_choice, @state, @policy, @meta)`,
    );
    this.updateState = db.prepare<{ id: string; expected: number; updated_at: number; phase: string; ring: string; age_wait_until: number | null; state: string }>(
      `UPDATE rollouts SET seq = seq + 1, updated_at = @updated_at, phase = @phase, ring = @ring, age_wait_until = @age_wait_until, state = @state
       WHERE id = @id AND seq = @expected`,
    );
    this.seqOf = db.prepare<[string], number>('SELECT seq FROM rollouts WHERE id = ?').pluck();
    this.insertTransition = db.prepare<TransitionRow & { rollout_id: string }>(
      `INSERT INTO transitions (rollout_id, seq, at, actor, kind, payload) VALUES (@rollout_id, @seq, @at, @actor, @kind, @payload)`,
    );
    this.leaseOf = db.prepare<[string], Pick<LeaseRow, 'owner' | 'epoch'>>('SELECT owner, epoch FROM rollout_leases WHERE rollout_id = ?');
    this.selectRollout = db.prepare<[string], RolloutRow>('SELECT * FROM rollouts WHERE id = ?');
    this.selectSummaries = db.prepare<[], RolloutSummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM rollouts ORDER BY created_at DESC, id`);
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
    // By rowid, as selectObservationsSince below (and why that is safe).
    this.selectHealthSince = db.prepare<[string, number], HealthRow & { id: number }>(
      'SELECT rowid AS id, at, ring, pass_rate, failed, budget, latency_p50 FROM health_samples WHERE rollout_id = ? AND rowid > ? ORDER BY rowid',
    );
    this.insertObservation = db.prepare<ObservationRow & { rollout_id: string }>(
      'INSERT INTO observations (rollout_id, host_id, at, version, checks) VALUES (@rollout_id, @host_id, @at, @version, @checks)',
    );
    this.selectObservations = db.prepare<[string, number], ObservationRow>(
      'SELECT host_id, at, version, checks FROM observations WHERE rollout_id = ? AND at >= ? ORDER BY at, rowid',
    );
    // rowid without AUTOINCREMENT: SQLite gives a new row one more than the largest rowid, and
    // rows are deleted only with their rollout, so a rollout's later rows always have larger ids.
    // Writers are serialised, so no smaller id can commit after a reader saw a larger one.
    this.selectObservationsSince = db.prepare<[string, number], ObservationRow & { id: number }>(
      'SELECT rowid AS id, host_id, at, version, checks FROM observations WHERE rollout_id = ? AND rowid > ? ORDER BY rowid',
    );
    // The update goes first: its `seq = @expected` is the check that the rollout exists and nobody wrote since.
    this.record = db.transaction((row: TransitionWrite, fence: LeaseFence | undefined) => {
      const { id, expected, at, state, phase, ring, age_wait_until } = row;
      this.fenced(id, fence);
      const { changes } = this.updateState.run({ id, expected, updated_at: at, state, phase, ring, age_wait_until });
      if (changes === 0) {
        const stored = this.seqOf.get(id);
        throw stored === undefined ? rolloutNotFound(id) : staleTransition(id, stored, expected);
      }
      this.insertTransition.run({ rollout_id: id, seq: row.seq, at, actor: row.actor, kind: row.kind, payload: row.payload });
      return row.seq;
    });
  }

  /** Inside a write's transaction: SQLite has one writer at a time, so no claim can come between this check and the write. */
  private fenced(id: string, fence: LeaseFence | undefined): void {
    if (fence !== undefined) checkFence(id, fence, this.leaseOf.get(id));
  }

  async createRollout(rollout: NewStoredRollout): Promise<void> {
    const row = newRolloutRow(rollout);
    try {
      this.insertRollout.run(row);
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw rolloutDuplicate(row.id);
      throw error;
    }
  }

  async recordTransition(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number, fence?: LeaseFence): Promise<number> {
    const row = transitionWrite(id, transition, stateAfter, expectedSeq);
    // Immediate: the write lock is waited for up front. A deferred transaction would read first and
    // could then fail with SQLITE_BUSY on upgrading to a write, which the busy timeout does not wait out.
    return this.record.immediate(row, fence);
  }

  async loadRollout(id: string): Promise<StoredRollout | undefined> {
    const row = this.selectRollout.get(id);
    return row && storedRollout(row);
  }

  async rolloutVersion(id: string): Promise<number | undefined> {
    return this.seqOf.get(id);
  }

  async listRollouts(): Promise<RolloutSummary[]> {
    return this.selectSummaries.all().map(rolloutSummary);
  }

  async transitions(id: string, { afterSeq = 0, limit = -1 }: { afterSeq?: number; limit?: number } = {}): Promise<StoredTransition[]> {
    return this.selectTransitions.all(id, afterSeq, limit).map(storedTransition);
  }

  async recordHealthSample(id: string, sample: NewHealthSample, fence?: LeaseFence): Promise<void> {
    const row = healthRow(id, sample);
    try {
      this.db
        .transaction(() => {
          this.fenced(id, fence);
          this.insertHealth.run({ rollout_id: id, ...row });
        })
        .immediate();
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw rolloutNotFound(id);
      throw error;
    }
  }

  async healthSamples(id: string): Promise<HealthSample[]> {
    return this.selectHealth.all(id).map(healthSample);
  }

  async healthSamplesSince(id: string, afterId: number): Promise<StoredHealthSample[]> {
    return this.selectHealthSince.all(id, afterId).map(storedHealthSample);
  }

  async recordObservations(id: string, observations: readonly Observation[], fence?: LeaseFence): Promise<void> {
    const rows = observationRows(id, observations);
    try {
      this.db
        .transaction(() => {
          this.fenced(id, fence);
          for (const row of rows) this.insertObservation.run({ rollout_id: id, ...row });
        })
        .immediate();
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw rolloutNotFound(id);
      throw error;
    }
  }

  async observations(id: string, { sinceAt = Number.MIN_SAFE_INTEGER }: { sinceAt?: number } = {}): Promise<Observation[]> {
    return this.selectObservations.all(id, sinceAt).map(observation);
  }

  async observationsSince(id: string, afterId: number): Promise<StoredObservation[]> {
    return this.selectObservationsSince.all(id, afterId).map(storedObservation);
  }
}
