import { hostsToCheck } from '../engine/check-selection.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutState } from '../engine/state.ts';
import type { Fleet } from '../fleets/fleet.ts';

export interface CheckRoundsOptions {
  fleet: Fleet;
  intervalMs: number;
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
  private nextRoundAt = 0;

  constructor(private readonly options: CheckRoundsOptions) {}

  /** Starts the checks that are due now; `busy` hosts have work of the fleet in flight. */
  startDue(state: RolloutState, busy: ReadonlySet<string>): void {
    const now = this.options.now();
    const free = (hostId: string) => !busy.has(hostId) && !this.checking.has(hostId);
    if (!this.roundRunning && now >= this.nextRoundAt) {
      this.nextRoundAt = now + this.options.intervalMs;
      this.roundRunning = true;
      this.launch(hostsToCheck(state).filter(free), state, now, () => (this.roundRunning = false));
    }
    const fresh = state.hosts
      .filter((h) => h.patchedAt !== null && (h.phase === 'healthy' || h.phase === 'failed'))
      .filter((h) => (this.lastStarted.get(h.id) ?? -Infinity) < (h.patchedAt ?? 0) && free(h.id))
      .map((h) => h.id);
    if (fresh.length > 0) this.launch(fresh, state, now);
  }

  /** Resolves once no check is running: nothing is recorded after this. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private launch(hostIds: string[], state: RolloutState, now: number, done?: () => void): void {
    for (const id of hostIds) {
      this.checking.add(id);
      this.lastStarted.set(id, now);
    }
    const round = Promise.all(hostIds.map((h) => this.options.fleet.check(h)))
      .then(async (batch) => {
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
}
