import type Database from 'better-sqlite3';
import { checkLeaseTime, DriverBusy, leaseLost, leaseOf, type DriverLease, type LeaseRow, type LeaseStore } from './lease-store.ts';

/*
 * The lease rows in the SQLite file. The claim is one statement, an upsert that takes the row
 * over only when it has expired (or is the claimer's own), so of two processes claiming at once
 * one gets it; SQLite runs one writer at a time.
 */
export class SqliteLeaseStore implements LeaseStore {
  private readonly claim;
  private readonly renew;
  private readonly release;
  private readonly selectOne;
  private readonly selectLive;
  readonly oneMachine = true;

  constructor(db: Database.Database) {
    this.claim = db.prepare<{ id: string; owner: string; at: number; until: number; replacing: number }, LeaseRow>(
      `INSERT INTO rollout_leases (rollout_id, owner, epoch, expires_at) VALUES (@id, @owner, 1, @until)
       ON CONFLICT (rollout_id) DO UPDATE SET owner = excluded.owner, epoch = epoch + 1, expires_at = excluded.expires_at
       WHERE expires_at <= @at OR owner = excluded.owner OR epoch = @replacing
       RETURNING *`,
    );
    this.renew = db.prepare<{ id: string; owner: string; epoch: number; until: number }, LeaseRow>(
      'UPDATE rollout_leases SET expires_at = @until WHERE rollout_id = @id AND owner = @owner AND epoch = @epoch RETURNING *',
    );
    // Expired for everyone, whatever their clock; the row stays so the next claim's epoch is higher.
    this.release = db.prepare<{ id: string; owner: string; epoch: number }>(
      'UPDATE rollout_leases SET expires_at = 0 WHERE rollout_id = @id AND owner = @owner AND epoch = @epoch',
    );
    this.selectOne = db.prepare<[string], LeaseRow>('SELECT * FROM rollout_leases WHERE rollout_id = ?');
    this.selectLive = db.prepare<[number], LeaseRow>('SELECT * FROM rollout_leases WHERE expires_at > ? ORDER BY rollout_id');
  }

  async claimLease(rolloutId: string, owner: string, at: number, ttlMs: number, replacing?: { epoch: number }): Promise<DriverLease> {
    checkLeaseTime(ttlMs);
    const row = this.claim.get({ id: rolloutId, owner, at, until: at + ttlMs, replacing: replacing?.epoch ?? 0 });
    if (row) return leaseOf(row);
    const holder = this.selectOne.get(rolloutId)!;
    throw new DriverBusy(rolloutId, holder.owner, holder.epoch, holder.expires_at, at);
  }

  async renewLease(lease: DriverLease, at: number, ttlMs: number): Promise<DriverLease> {
    checkLeaseTime(ttlMs);
    const row = this.renew.get({ id: lease.rolloutId, owner: lease.owner, epoch: lease.epoch, until: at + ttlMs });
    if (row) return leaseOf(row);
    throw leaseLost(lease.rolloutId, lease, this.selectOne.get(lease.rolloutId));
  }

  async releaseLease(lease: DriverLease): Promise<void> {
    this.release.run({ id: lease.rolloutId, owner: lease.owner, epoch: lease.epoch });
  }

  async liveLeases(at: number): Promise<DriverLease[]> {
    return this.selectLive.all(at).map(leaseOf);
  }
}
