import type { Progress } from '../../lab/progress.ts';
import { isTerminal } from '../engine/phase.ts';
import type { RolloutState } from '../engine/state.ts';
import { DriverBusy, type LeaseStore } from '../store/lease-store.ts';
import type { RolloutStore } from '../store/rollout-store.ts';

export interface SupervisorOptions {
  store: RolloutStore & LeaseStore;
  /** Drives one stored rollout until it ends or the signal stops it (run-rollout.ts, resuming by id). */
  drive: (id: string, signal: AbortSignal) => Promise<RolloutState>;
  progress: Progress;
  /** How often the store is looked at for a rollout nobody drives. */
  intervalMs?: number;
  /** A rollout whose driving failed (its fleet is gone, the engine does not answer) waits this long, doubling up to ten minutes. */
  retryMs?: number;
  now?: () => number;
}

/**
 * What `serve` does for rollouts no process holds the lease of (their driver was stopped, or was
 * killed and its lease has expired): it drives each of them, taking the one-driver lease, so a Resume pressed on the page moves the
 * rollout instead of only being recorded. A rollout another live process drives is left alone.
 */
export class RolloutSupervisor {
  private readonly driving = new Map<string, { stop: AbortController; done: Promise<void> }>();
  private readonly failures = new Map<string, { count: number; retryAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    const tick = () => {
      this.sweeping = this.sweep()
        .catch((error: Error) => this.options.progress(`looking for rollouts to drive: ${error.message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 5_000);
        });
    };
    tick();
  }

  /** The rollouts this process drives now. */
  drivenHere(): string[] {
    return [...this.driving.keys()];
  }

  /** Finds every unfinished rollout whose lease nobody holds and starts driving it. */
  async sweep(): Promise<void> {
    const driven = new Set((await this.options.store.liveLeases(this.now())).map((lease) => lease.rolloutId));
    for (const rollout of await this.options.store.listRollouts()) {
      if (this.stopped) return;
      if (isTerminal(rollout.phase) || this.driving.has(rollout.id)) continue;
      if (driven.has(rollout.id)) continue;
      if (this.now() < (this.failures.get(rollout.id)?.retryAt ?? 0)) continue;
      this.begin(rollout.id);
    }
  }

  private begin(id: string): void {
    const stop = new AbortController();
    this.options.progress(`rollout ${id}: no process drives it; driving it here`);
    const done = this.options
      .drive(id, stop.signal)
      .then((state) => {
        this.failures.delete(id);
        this.options.progress(`rollout ${id}: ${state.phase}`);
      })
      .catch((error: Error) => {
        // Another process claimed it between the look and the claim: it is driven, which is the point.
        if (error instanceof DriverBusy) return;
        const count = (this.failures.get(id)?.count ?? 0) + 1;
        const waitMs = Math.min((this.options.retryMs ?? 30_000) * 2 ** Math.min(count - 1, 16), 10 * 60_000);
        this.failures.set(id, { count, retryAt: this.now() + waitMs });
        this.options.progress(`rollout ${id}: cannot drive it: ${error.message}; trying again in ${Math.round(waitMs / 1000)} s`);
      })
      .finally(() => this.driving.delete(id));
    this.driving.set(id, { stop, done });
  }

  /** Stops looking and stops every rollout driven here (each is paused, its fleet kept, by its driver). */
  async stop(reason: Error): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
    for (const { stop } of this.driving.values()) stop.abort(reason);
    await Promise.all([...this.driving.values()].map((d) => d.done));
  }
}
