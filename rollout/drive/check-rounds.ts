import { hostsToCheck } from '../engine/check-selection.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutState } from '../engine/state.ts';
import type { Fleet } from '../fleets/fleet.ts';

export interface CheckRoundsOptions {
  fleet: Fleet;
  /** Hosts with a patch or rollback in flight, kept up to date by the runner: never checked meanwhile. */
  busy: ReadonlySet<string>;
  intervalMs: number;
  /**
   * Hosts checked at once, over all rounds. Every check is a handful of execs into its host; a
   * whole fleet checked at once on a machine with few cores starves the patches the rollout waits for.
   */
  parallelHosts: number;
  now: () => number;
  /** Every batch of results, before the engine may judge by them. */
  record: (batch: Observation[], state: RolloutState) => Promise<void>;
  onError?: (message: string) => void;
  /** A batch was recorded: the engine has something new to judge by. */
  onRecorded?: () => void;
}

/**
 * The runner's checks: a round of every host worth checking once per interval, and, as soon as
 * a host's patch has been stored as finished, a check of that host alone. Its ring cannot soak
 * to an end or promote before that first result, which would otherwise wait for the next round
 * to start (up to an interval, or a whole round when rounds run back to back on a busy machine).
 * A host is never checked twice at once, nor while its patch or rollback runs.
 */
export class CheckRounds {
  private readonly running = new Set<Promise<void>>();
  private readonly checking = new Set<string>();
  /** When each host's latest check started, on the runner's clock. */
  private readonly lastStarted = new Map<string, number>();
  private roundRunning = false;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private nextRoundAt = 0;

  constructor(private readonly options: CheckRoundsOptions) {}

  /** Starts the checks that are due now. */
  startDue(state: RolloutState): void {
    const now = this.options.now();
    const free = (hostId: string) => !this.options.busy.has(hostId) && !this.checking.has(hostId);
    if (!this.roundRunning && now >= this.nextRoundAt) {
      this.nextRoundAt = now + this.options.intervalMs;
      this.roundRunning = true;
      this.launch(hostsToCheck(state).filter(free), state, now, () => (this.roundRunning = false));
    }
    const fresh = state.hosts
      .filter((h) => h.patchedAt !== null && (h.phase === 'healthy' || h.phase === 'failed'))
      .filter((h) => (this.lastStarted.get(h.id) ?? -Infinity) < (h.patchedAt ?? 0) && free(h.id))
      .map((h) => h.id);
    if (fresh.length > 0) this.launch(fresh, state, now, undefined, true);
  }

  /** Resolves once no check is running: nothing is recorded after this. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** A host's first check after its patch goes before the rest: its ring waits for it. */
  private launch(hostIds: string[], state: RolloutState, now: number, done?: () => void, first = false): void {
    for (const id of hostIds) {
      this.checking.add(id);
      this.lastStarted.set(id, now);
    }
    // A host whose patch started while it waited for its turn is left out of this round.
    const check = (h: string) => (this.options.busy.has(h) ? Promise.resolve(undefined) : this.options.fleet.check(h));
    const round = Promise.all(hostIds.map((h) => this.inTurn(() => check(h), first)))
      .then(async (results) => {
        const batch = results.filter((o) => o !== undefined);
        await this.options.record(batch, state);
        this.options.onRecorded?.();
      })
      .catch((error: Error) => this.options.onError?.(`checks: ${error.message}`))
      .finally(() => {
        for (const id of hostIds) this.checking.delete(id);
        this.running.delete(round);
        done?.();
      });
    this.running.add(round);
  }

  private async inTurn<T>(work: () => Promise<T>, first: boolean): Promise<T> {
    while (this.active >= this.options.parallelHosts) {
      await new Promise<void>((resolve) => (first ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
    }
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
