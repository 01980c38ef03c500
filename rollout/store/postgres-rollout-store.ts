import type pg from 'pg';
import {
  HEALTH_SAMPLE_LOCK_SPACE,
  inTransaction,
  OBSERVATION_LOCK_SPACE,
  pgCode,
  PG_FOREIGN_KEY_VIOLATION,
  PG_UNIQUE_VIOLATION,
  sqlLimit,
} from '../../lab/store/postgres-transaction.ts';
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

/** A foreign key that names no rollout is the caller's unknown id, not a database failure. */
function refusingUnknownRollout(id: string) {
  return (error: unknown): never => {
    throw pgCode(error) === PG_FOREIGN_KEY_VIOLATION ? rolloutNotFound(id) : error;
  };
}

/**
 * Work that must commit or roll back with a transition: the jobs a decision asks for, added in its
 * transaction so that a crash loses neither the decision nor its jobs.
 */
export type WithinTransition = (client: pg.PoolClient, id: string, transition: NewTransition) => Promise<void>;

/*
 * A fenced write reads the lease row FOR SHARE in its own transaction: a claim (an UPDATE of that
 * row) then waits for the write to commit, and a write that starts after the claim committed reads
 * the new epoch. So once a claim returns, no write of an older epoch can still be stored.
 */
async function fenced(client: pg.PoolClient, id: string, fence: LeaseFence | undefined): Promise<void> {
  if (fence === undefined) return;
  const { rows } = await client.query<Pick<LeaseRow, 'owner' | 'epoch'>>('SELECT owner, epoch FROM rollout_leases WHERE rollout_id = $1 FOR SHARE', [id]);
  checkFence(id, fence, rows[0]);
}

const SEQ_OF = 'SELECT seq FROM rollouts WHERE id = $1';

export class PostgresRolloutStore implements RolloutStore {
  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly withinTransition?: WithinTransition,
  ) {}

  async createRollout(rollout: NewStoredRollout): Promise<void> {
    const r = newRolloutRow(rollout);
    try {
      await this.pool.query(
        `INSERT INTO rollouts (id, scenario, created_at, updated_at, seq, phase, ring, patch_name, patch_version, patch_severity, state, policy, meta, age_wait_until, policy_choice)
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [r.id, r.scenario, r.created_at, r.updated_at, r.phase, r.ring, r.patch_name, r.patch_version, r.patch_severity, r.state, r.policy, r.meta, r.age_wait_until, r.policy_choice],
      );
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION) throw rolloutDuplicate(r.id);
      throw error;
    }
  }

  /*
   * The update goes first: its `seq = $2` is the check that the rollout exists and nobody wrote
   * since. It locks the row, so a second writer with the same expected seq waits for the first to
   * commit; PostgreSQL then re-checks the condition on the row the first wrote (READ COMMITTED),
   * finds the seq moved on and updates nothing: 'stale', and the rollback stores nothing.
   */
  async recordTransition(id: string, transition: NewTransition, stateAfter: RolloutState, expectedSeq: number, fence?: LeaseFence): Promise<number> {
    const w = transitionWrite(id, transition, stateAfter, expectedSeq);
    return inTransaction(this.pool, async (client) => {
      await fenced(client, id, fence);
      const updated = await client.query(
        'UPDATE rollouts SET seq = seq + 1, updated_at = $3, phase = $4, ring = $5, state = $6, age_wait_until = $7 WHERE id = $1 AND seq = $2',
        [id, w.expected, w.at, w.phase, w.ring, w.state, w.age_wait_until],
      );
      if (updated.rowCount === 0) {
        const { rows } = await client.query<{ seq: number }>(SEQ_OF, [id]);
        throw rows[0] === undefined ? rolloutNotFound(id) : staleTransition(id, rows[0].seq, w.expected);
      }
      await client.query('INSERT INTO transitions (rollout_id, seq, at, actor, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)', [
        id,
        w.seq,
        w.at,
        w.actor,
        w.kind,
        w.payload,
      ]);
      await this.withinTransition?.(client, id, transition);
      return w.seq;
    });
  }

  async loadRollout(id: string): Promise<StoredRollout | undefined> {
    const { rows } = await this.pool.query<RolloutRow>('SELECT * FROM rollouts WHERE id = $1', [id]);
    return rows[0] && storedRollout(rows[0]);
  }

  async rolloutVersion(id: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ seq: number }>(SEQ_OF, [id]);
    return rows[0]?.seq;
  }

  async listRollouts(): Promise<RolloutSummary[]> {
    const { rows } = await this.pool.query<RolloutSummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM rollouts ORDER BY created_at DESC, id`);
    return rows.map(rolloutSummary);
  }

  async transitions(id: string, { afterSeq = 0, limit }: { afterSeq?: number; limit?: number } = {}): Promise<StoredTransition[]> {
    const { rows } = await this.pool.query<TransitionRow>(
      'SELECT seq, at, actor, kind, payload FROM transitions WHERE rollout_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [id, afterSeq, sqlLimit(limit)],
    );
    return rows.map(storedTransition);
  }

  async recordHealthSample(id: string, sample: NewHealthSample, fence?: LeaseFence): Promise<void> {
    const h = healthRow(id, sample);
    // Under the rollout's lock, as recordObservations, so healthSamplesSince never skips an id.
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [HEALTH_SAMPLE_LOCK_SPACE, id]);
      await fenced(client, id, fence);
      await client.query('INSERT INTO health_samples (rollout_id, at, ring, pass_rate, failed, budget, latency_p50) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        id,
        h.at,
        h.ring,
        h.pass_rate,
        h.failed,
        h.budget,
        h.latency_p50,
      ]);
    }).catch(refusingUnknownRollout(id));
  }

  async healthSamplesSince(id: string, afterId: number): Promise<StoredHealthSample[]> {
    const { rows } = await this.pool.query<HealthRow & { id: number }>(
      'SELECT id, at, ring, pass_rate, failed, budget, latency_p50 FROM health_samples WHERE rollout_id = $1 AND id > $2 ORDER BY id',
      [id, afterId],
    );
    return rows.map(storedHealthSample);
  }

  async healthSamples(id: string): Promise<HealthSample[]> {
    const { rows } = await this.pool.query<HealthRow>(
      'SELECT at, ring, pass_rate, failed, budget, latency_p50 FROM health_samples WHERE rollout_id = $1 ORDER BY at, id',
      [id],
    );
    return rows.map(healthSample);
  }

  /*
   * Ids only grow for a reader, and a batch shows whole or not at all: an identity column alone
   * does not give that. Two writers draw ids first and commit later, in any order, so a reader
   * could see ids 11-12 committed while 9-10 are still in flight, move its mark to 12, and never
   * see 9-10. So writers of one rollout's observations take a transaction-level advisory lock on
   * that rollout before drawing ids, and hold it until they commit: a batch's ids are drawn only
   * after every earlier batch of the rollout has committed (or rolled back), so a reader that sees
   * an id has already been able to see every smaller one of that rollout. Readers take no lock,
   * and writers of different rollouts do not wait for each other (a hash collision of two ids only
   * makes them wait). Reading only below the oldest id in flight would spare the lock, but needs
   * a second table of ids in flight or a look at other transactions; a rollout's check rounds
   * are seconds apart and have one writer at a time, so the wait costs nothing.
   */
  async recordObservations(id: string, observations: readonly Observation[], fence?: LeaseFence): Promise<void> {
    const rows = observationRows(id, observations);
    if (rows.length === 0) return;
    const column = <K extends keyof ObservationRow>(key: K) => rows.map((row) => row[key]);
    await inTransaction(this.pool, async (client) => {
      await fenced(client, id, fence);
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OBSERVATION_LOCK_SPACE, id]);
      // ORDER BY the position: ids are drawn in the order rows come out, so they follow the batch's order.
      await client.query(
        `INSERT INTO observations (rollout_id, host_id, at, version, checks)
         SELECT $1, host_id, at, version, checks
         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS batch (host_id, at, version, checks, position)
         ORDER BY position`,
        [id, column('host_id'), column('at'), column('version'), column('checks')],
      );
    }).catch(refusingUnknownRollout(id));
  }

  async observations(id: string, { sinceAt = Number.MIN_SAFE_INTEGER }: { sinceAt?: number } = {}): Promise<Observation[]> {
    const { rows } = await this.pool.query<ObservationRow>(
      'SELECT host_id, at, version, checks FROM observations WHERE rollout_id = $1 AND at >= $2 ORDER BY at, id',
      [id, sinceAt],
    );
    return rows.map(observation);
  }

  async observationsSince(id: string, afterId: number): Promise<StoredObservation[]> {
    const { rows } = await this.pool.query<ObservationRow & { id: number }>(
      'SELECT id, host_id, at, version, checks FROM observations WHERE rollout_id = $1 AND id > $2 ORDER BY id',
      [id, afterId],
    );
    return rows.map(storedObservation);
  }
}
