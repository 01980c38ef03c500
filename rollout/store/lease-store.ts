import { StoreError } from '../../lab/store/store-error.ts';

/*
 * One driver per rollout, through the database: a lease row per rollout with an owner, an expiry
 * and a fencing epoch. A driver claims the lease for a while and renews it; another process may
 * claim it only once it has expired, and each claim bumps the epoch. Every write a driver makes to
 * its rollout carries the epoch it claimed (a `LeaseFence`), and the store refuses a write whose
 * epoch is no longer the lease's ('fenced'): a driver that was paused (SIGSTOP, a long GC, a VM
 * frozen) past its expiry and wakes up after another took over is refused and stops, instead of
 * writing over the new driver's steps. Times are the callers' clocks (injected), so the expiry
 * is only as good as the clocks of the machines agree: keep their skew well below the lease time.
 */

/** A driver's claim on a rollout. */
export interface DriverLease {
  rolloutId: string;
  /** The driving process: `host:pid:start`, as ownerToken() makes it. */
  owner: string;
  /** One more with every claim of this rollout's lease; never reused, also after a release. */
  epoch: number;
  /** Until when, on the clock of the process that claimed or last renewed it. */
  expiresAt: number;
}

/** What a driver's writes carry: the epoch of the lease it claimed. */
export interface LeaseFence {
  epoch: number;
}

export interface LeaseStore {
  /**
   * Claims the rollout's lease for `ttlMs` from `at`, with a new epoch. Refused with DriverBusy
   * while another owner's lease has not expired; the same owner may claim again (a new epoch,
   * which fences its own earlier claim). `replacing` takes over a lease before it expires, if it
   * is still at that epoch: for a holder known to be dead (see `oneMachine`).
   */
  claimLease(rolloutId: string, owner: string, at: number, ttlMs: number, replacing?: { epoch: number }): Promise<DriverLease>;
  /** Extends the lease to `at + ttlMs`; refused ('fenced', LeaseLost) once another claim has bumped the epoch. */
  renewLease(lease: DriverLease, at: number, ttlMs: number): Promise<DriverLease>;
  /** Gives the lease up at once (a driver that stops cleanly), keeping its epoch; a lease taken over already is left alone. */
  releaseLease(lease: DriverLease): Promise<void>;
  /** Every lease not expired at `at`: who drives which rollout now. */
  liveLeases(at: number): Promise<DriverLease[]>;
  /**
   * True when every driver of this store runs on this machine (the SQLite file): a holder whose
   * process is gone here may then be replaced at once. A shared database's drivers run anywhere,
   * where a host name and pid prove nothing, so their leases are waited out.
   */
  readonly oneMachine: boolean;
}

export class DriverBusy extends Error {
  override name = 'DriverBusy';
  constructor(
    readonly rolloutId: string,
    readonly owner: string,
    readonly epoch: number,
    readonly expiresAt: number,
    at: number,
  ) {
    const [host, pid] = owner.split(':');
    const left = Math.max(0, Math.ceil((expiresAt - at) / 1000));
    super(
      `rollout ${rolloutId} is already driven by patchlab process ${pid} on ${host}; stop that one first (Ctrl-C pauses it and keeps its fleet), ` +
        `or, if it is gone, its lease expires in ${left} s and another process may drive it then`,
    );
  }
}

/** A driver's write or renewal refused because another process has claimed the rollout since. */
export function leaseLost(rolloutId: string, fence: LeaseFence, now: { owner: string; epoch: number } | undefined): StoreError {
  const holder = now === undefined ? 'nobody holds it now' : `it is at epoch ${now.epoch}, held by patchlab process ${now.owner.split(':')[1]} on ${now.owner.split(':')[0]}`;
  return new StoreError(
    'fenced',
    `rollout ${rolloutId}: this driver's lease (epoch ${fence.epoch}) was taken over by another process (${holder}); refusing its write, it stops driving`,
  );
}

/** The row of a lease, alike in SQLite and PostgreSQL. */
export interface LeaseRow {
  rollout_id: string;
  owner: string;
  epoch: number;
  expires_at: number;
}

export const leaseOf = (row: LeaseRow): DriverLease => ({ rolloutId: row.rollout_id, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at });

/** Checks a writer's fence against the lease row read in the write's transaction: no row or another epoch is refused. */
export function checkFence(rolloutId: string, fence: LeaseFence | undefined, row: Pick<LeaseRow, 'owner' | 'epoch'> | undefined): void {
  if (fence !== undefined && row?.epoch !== fence.epoch) throw leaseLost(rolloutId, fence, row);
}

/** A lease time that is a positive whole number of milliseconds, so an expiry is never in the past or NaN. */
export function checkLeaseTime(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new Error(`lease time: expected a positive whole number of milliseconds, got ${ttlMs}`);
}
