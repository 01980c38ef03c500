import type pg from 'pg';
import { checkLeaseTime, DriverBusy, leaseLost, leaseOf, type DriverLease, type LeaseRow, type LeaseStore } from './lease-store.ts';

/*
 * The lease rows in PostgreSQL. The claim is one upsert that takes the row over only when it has
 * expired (or is the claimer's own): of two claims at once, the second waits on the row's lock,
 * then re-checks the condition against the first's row (READ COMMITTED) and updates nothing.
 * Fenced writers read the row FOR SHARE in their own transaction (postgres-rollout-store.ts), so a
 * claim that commits has waited for every write of the old epoch that was already under way.
 */
export class PostgresLeaseStore implements LeaseStore {
  readonly oneMachine = false;

  constructor(private readonly pool: pg.Pool) {}

  async claimLease(rolloutId: string, owner: string, at: number, ttlMs: number, replacing?: { epoch: number }): Promise<DriverLease> {
    checkLeaseTime(ttlMs);
    const { rows } = await this.pool.query<LeaseRow>(
      `INSERT INTO rollout_leases AS l (rollout_id, owner, epoch, expires_at) VALUES ($1, $2, 1, $4)
       ON CONFLICT (rollout_id) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1, expires_at = excluded.expires_at
       WHERE l.expires_at <= $3 OR l.owner = excluded.owner OR l.epoch = $5
       RETURNING *`,
      [rolloutId, owner, at, at + ttlMs, replacing?.epoch ?? 0],
    );
    if (rows[0]) return leaseOf(rows[0]);
    const holder = await this.one(rolloutId);
    // Released or expired between the two statements: the claim is simply tried again.
    if (holder === undefined || holder.expires_at <= at) return this.claimLease(rolloutId, owner, at, ttlMs, replacing);
    throw new DriverBusy(rolloutId, holder.owner, holder.epoch, holder.expires_at, at);
  }

  async renewLease(lease: DriverLease, at: number, ttlMs: number): Promise<DriverLease> {
    checkLeaseTime(ttlMs);
    const { rows } = await this.pool.query<LeaseRow>(
      'UPDATE rollout_leases SET expires_at = $4 WHERE rollout_id = $1 AND owner = $2 AND epoch = $3 RETURNING *',
      [lease.rolloutId, lease.owner, lease.epoch, at + ttlMs],
    );
    if (rows[0]) return leaseOf(rows[0]);
    throw leaseLost(lease.rolloutId, lease, await this.one(lease.rolloutId));
  }

  async releaseLease(lease: DriverLease): Promise<void> {
    // Expired for everyone, whatever their clock; the row stays so the next claim's epoch is higher.
    await this.pool.query('UPDATE rollout_leases SET expires_at = 0 WHERE rollout_id = $1 AND owner = $2 AND epoch = $3', [lease.rolloutId, lease.owner, lease.epoch]);
  }

  async liveLeases(at: number): Promise<DriverLease[]> {
    const { rows } = await this.pool.query<LeaseRow>('SELECT * FROM rollout_leases WHERE expires_at > $1 ORDER BY rollout_id', [at]);
    return rows.map(leaseOf);
  }

  private async one(rolloutId: string): Promise<LeaseRow | undefined> {
    const { rows } = await this.pool.query<LeaseRow>('SELECT * FROM rollout_leases WHERE rollout_id = $1', [rolloutId]);
    return rows[0];
  }
}
