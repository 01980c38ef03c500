import { PATCH_DONE, ROLLBACK_DONE } from './event-kinds.ts';
import { harms } from './host-faults.ts';
import { DISK_FULL, HOST_LOST, NO_ANSWER, PATCHED, ROLLED_BACK } from './host-reports.ts';
import { IDLE, PATCHING, ROLLING_BACK } from './host-table.ts';
import { logNormal, unitAt } from './random.ts';
import type { RunContext } from './run-context.ts';


// Purposes of the per-host duration draws.
const PATCHING_TIME = 1;
const ROLLBACK_TIME = 2;

/**
 * The simulated fleet driver: patches and rolls back hosts as the engine says, each taking its
 * own time and failing as the fault model says, and reports what happened as host events.
 */
export class FleetDriver {
  private readonly patchOutcome: Uint8Array;
  private rollbackDispatched = false;

  constructor(private readonly run: RunContext) {
    this.patchOutcome = new Uint8Array(run.fleet.size);
  }

  dispatchPatch(i: number, now: number): void {
    const { hosts, faults, settings, queue } = this.run;
    if (hosts.activity[i] !== IDLE || hosts.onPatch[i] === 1) return;
    hosts.activity[i] = PATCHING;
    hosts.inFlight++;
    this.run.figures.started++;
    hosts.dispatched[hosts.ringOf[i]!]!++;
    const duration = this.duration(i, settings.patchMedianMs, PATCHING_TIME);
    if (faults.offline[i]) {
      this.patchOutcome[i] = NO_ANSWER;
      queue.push(now + settings.patchTimeoutMs, PATCH_DONE, i);
    } else if (faults.lost[i]) {
      this.patchOutcome[i] = HOST_LOST;
      queue.push(now + Math.max(1, Math.round(duration / 2)), PATCH_DONE, i);
    } else if (faults.diskFull[i]) {
      this.patchOutcome[i] = DISK_FULL;
      queue.push(now + duration, PATCH_DONE, i);
    } else {
      this.patchOutcome[i] = PATCHED;
      queue.push(now + duration, PATCH_DONE, i);
    }
  }

  patchDone(i: number): void {
    const { hosts, clock } = this.run;
    const now = clock.now;
    hosts.activity[i] = IDLE;
    hosts.inFlight--;
    this.run.counters.hostEvents++;
    const outcome = this.patchOutcome[i]!;
    if (outcome === PATCHED) {
      hosts.onPatch[i] = 1;
      hosts.landedAt[i] = now;
      this.run.figures.landed(now, harms(this.run.faults, i));
    }
    this.run.reported.add(i, outcome);
    if (hosts.rollbackAfterPatch[i]) this.dispatchRollback(i, now);
    clock.wake(now);
  }

  /** Every host the rollback names: back to its base version, after its patch if one is still running. */
  dispatchRollbacks(now: number): void {
    if (this.rollbackDispatched) return;
    this.rollbackDispatched = true;
    const figures = this.run.figures;
    if (figures.startedBeforeRollback === null) figures.startedBeforeRollback = figures.started;
    this.run.state.hosts.forEach((host, p) => {
      if (host.phase === 'rolling-back') this.dispatchRollback(this.run.hosts.indexAt[p]!, now);
    });
  }

  rollbackDone(i: number): void {
    const { hosts, clock } = this.run;
    const now = clock.now;
    hosts.activity[i] = IDLE;
    hosts.rollbackAfterPatch[i] = 0;
    this.run.counters.hostEvents++;
    if (hosts.onPatch[i] === 1) {
      hosts.onPatch[i] = 0;
      this.run.figures.restored(now, harms(this.run.faults, i) ? (hosts.landedAt[i] ?? now) : null);
    }
    this.run.reported.add(i, ROLLED_BACK);
    clock.wake(now);
  }

  private dispatchRollback(i: number, now: number): void {
    const { hosts, settings } = this.run;
    if (hosts.activity[i] === PATCHING) {
      hosts.rollbackAfterPatch[i] = 1;
    } else if (hosts.onPatch[i] === 1 && hosts.activity[i] === IDLE) {
      hosts.activity[i] = ROLLING_BACK;
      this.run.queue.push(now + this.duration(i, settings.rollbackMedianMs, ROLLBACK_TIME), ROLLBACK_DONE, i);
    } else if (hosts.activity[i] === IDLE) {
      // Never got the patch: the driver confirms its version without touching it, as the runner does.
      hosts.rollbackAfterPatch[i] = 0;
      this.run.reported.add(i, ROLLED_BACK);
      this.run.clock.wake(now);
    }
  }

  /** Each host's own patch (or rollback) time, the same under every policy simulated with this seed. */
  private duration(i: number, median: number, purpose: number): number {
    const u1 = unitAt(this.run.seed, i, purpose, 11);
    const u2 = unitAt(this.run.seed, i, purpose, 12);
    return Math.max(1, Math.round(logNormal(median, this.run.settings.patchSpread, u1, u2)));
  }
}
