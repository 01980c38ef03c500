import { isOwnerAlive, ownerToken } from '../../lab/hosts/labels.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import { takeOver } from '../engine/driver-takeover.ts';
import type { RolloutState } from '../engine/state.ts';
import { DriverBusy, type DriverLease, type LeaseFence, type LeaseStore } from '../store/lease-store.ts';
import type { RolloutStore } from '../store/rollout-store.ts';
import { storeStep } from './control.ts';

/*
 * The driver's side of its rollout's lease (rollout/store/lease-store.ts): claim it before the
 * fleet is touched, renew it in the background, and stop acting the moment it may have run out.
 * A process that was paused (SIGSTOP) past its lease finds on waking that it may no longer act;
 * its renewal is refused once another process has claimed the rollout, and so is every write it
 * tries (the store checks the fence), so it stops without touching the new driver's hosts.
 */

export interface LeaseSettings {
  /** How long a claim or renewal holds the lease: how long a killed driver's rollout waits for another. */
  ttlMs: number;
  /** How often the driver renews it; at most half the lease time. */
  renewMs: number;
}

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = { ttlMs: 30_000, renewMs: 10_000 };

/** PATCHLAB_LEASE_TTL and PATCHLAB_LEASE_RENEW, in seconds; anything unusable is an error naming the variable, not a silent default. */
export function leaseSettingsFrom(env: NodeJS.ProcessEnv = process.env): LeaseSettings {
  const seconds = (name: string, fallbackMs: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallbackMs;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a number of seconds above 0, got ${JSON.stringify(raw)}`);
    return Math.round(value * 1000);
  };
  const ttlMs = seconds('PATCHLAB_LEASE_TTL', DEFAULT_LEASE_SETTINGS.ttlMs);
  const renewMs = seconds('PATCHLAB_LEASE_RENEW', Math.min(DEFAULT_LEASE_SETTINGS.renewMs, Math.floor(ttlMs / 3)));
  if (renewMs * 2 > ttlMs) {
    throw new Error(`PATCHLAB_LEASE_RENEW: expected at most half of PATCHLAB_LEASE_TTL (${ttlMs / 1000} s), got ${renewMs / 1000} s`);
  }
  return { ttlMs, renewMs };
}

export interface HoldOptions {
  settings?: LeaseSettings;
  now?: () => number;
  owner?: string;
  /** Told of a renewal that failed for another reason than a take-over (the database did not answer). */
  onError?: (message: string) => void;
}

/** True for the store's refusal of a driver whose lease was taken over. */
export const isLeaseLost = (error: unknown): error is StoreError => error instanceof StoreError && error.code === 'fenced';

/** A claimed lease, renewed until released or lost. */
export class HeldLease {
  private lease: DriverLease;
  /** When the last successful renewal (or the claim) was sent, on this process's clock. */
  private heldFrom: number;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private readonly losing = new AbortController();
  private released = false;

  private constructor(
    private readonly store: LeaseStore,
    lease: DriverLease,
    at: number,
    private readonly settings: LeaseSettings,
    private readonly now: () => number,
    private readonly onError: (message: string) => void,
  ) {
    this.lease = lease;
    this.heldFrom = at;
    this.schedule();
  }

  /**
   * Claims the rollout for this process; DriverBusy while another process's lease lasts. On a
   * one-machine store (SQLite) a holder whose process is gone (kill -9) is replaced at once, as
   * the folder lease before it did; on a shared database its lease is waited out.
   */
  static async claim(store: LeaseStore, rolloutId: string, options: HoldOptions = {}): Promise<HeldLease> {
    const settings = options.settings ?? leaseSettingsFrom();
    const now = options.now ?? Date.now;
    const owner = options.owner ?? ownerToken();
    const at = now();
    const lease = await store.claimLease(rolloutId, owner, at, settings.ttlMs).catch((error: unknown) => {
      if (!(error instanceof DriverBusy && store.oneMachine && !isOwnerAlive(error.owner))) throw error;
      return store.claimLease(rolloutId, owner, at, settings.ttlMs, { epoch: error.epoch });
    });
    return new HeldLease(store, lease, at, settings, now, options.onError ?? (() => undefined));
  }

  /** What every write of this driver carries. */
  get fence(): LeaseFence {
    return { epoch: this.lease.epoch };
  }

  /** The driving process, as the lease names it (`host:pid:start`). */
  get owner(): string {
    return this.lease.owner;
  }

  get epoch(): number {
    return this.lease.epoch;
  }

  /** Aborted, with the store's refusal as its reason, once another process has taken the rollout over. */
  get lost(): AbortSignal {
    return this.losing.signal;
  }

  /**
   * Whether the lease surely still holds: a renewal interval short of its expiry, so clocks that
   * differ a little between machines cannot let two drivers act at once. False after a pause
   * longer than that, until a renewal succeeds.
   */
  mayAct(): boolean {
    return !this.losing.signal.aborted && this.now() < this.heldFrom + this.settings.ttlMs - this.settings.renewMs;
  }

  /** A write refused by the fence: the lease is lost, whatever the renewals said. */
  markLost(error: StoreError): void {
    clearTimeout(this.timer);
    if (!this.losing.signal.aborted) this.losing.abort(error);
  }

  /** Stops renewing and frees the lease at once, unless it was lost (then it is the new driver's). */
  async release(): Promise<void> {
    this.released = true;
    clearTimeout(this.timer);
    // A renewal still under way would otherwise extend the lease after it was freed.
    await this.renewing;
    if (!this.losing.signal.aborted) await this.store.releaseLease(this.lease);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.renewing = this.renew().finally(() => (this.renewing = undefined));
    }, this.settings.renewMs);
    // The lease keeps nothing alive on its own: the drive it belongs to does.
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const at = this.now();
    try {
      this.lease = await this.store.renewLease(this.lease, at, this.settings.ttlMs);
      this.heldFrom = at;
    } catch (error) {
      if (isLeaseLost(error)) return this.markLost(error);
      this.onError(`rollout ${this.lease.rolloutId}: renewing its lease: ${(error as Error).message}`);
    }
    if (!this.released && !this.losing.signal.aborted) this.schedule();
  }
}

/**
 * Stores that this lease's driver starts on a stored rollout (one another process, or this one
 * before it stopped, drove): nobody checked its hosts in between, and the engine must not count
 * that time against them. Stored under the lease's fence; a refusal marks the lease lost.
 */
export async function recordTakeOver(store: RolloutStore, id: string, lease: HeldLease, now: () => number): Promise<RolloutState> {
  const driver = lease.owner;
  const payload = { name: 'take-over', driver };
  return storeStep(store, id, 'take-over', (state, at) => takeOver(state, driver, at), { actor: driver, kind: 'command', payload }, now, lease.fence).catch((error: unknown) => {
    if (isLeaseLost(error)) lease.markLost(error);
    throw error;
  });
}
