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

  /** Starts patching the host at position p. */
  dispatchPatch(p: number, now: number): void {
    const { hosts, faults, settings, queue } = this.run;
    if (hosts.activity[p] !== IDLE || hosts.onPatch[p] === 1) return;
    hosts.activity[p] = PATCHING;
    hosts.inFlight++;
    this.run.figures.started++;
    hosts.dispatched[hosts.ringOf[p]!]!++;
    const duration = this.duration(p, settings.patchMedianMs, PATCHING_TIME);
    if (faults.offline[p]) {
      this.patchOutcome[p] = NO_ANSWER;
      queue.push(now + settings.patchTimeoutMs, PATCH_DONE, p);
    } else if (faults.lost[p]) {
      this.patchOutcome[p] = HOST_LOST;
      queue.push(now + Math.max(1, Math.round(duration / 2)), PATCH_DONE, p);
    } else if (faults.diskFull[p]) {
      this.patchOutcome[p] = DISK_FULL;
      queue.push(now + duration, PATCH_DONE, p);
    } else {
      this.patchOutcome[p] = PATCHED;
      queue.push(now + duration, PATCH_DONE, p);
    }
  }

  patchDone(p: number): void {
    const { hosts, clock } = this.run;
    const now = clock.now;
    hosts.activity[p] = IDLE;
    hosts.inFlight--;
    this.run.counters.hostEvents++;
    const outcome = this.patchOutcome[p]!;
    if (outcome === PATCHED) {
      hosts.onPatch[p] = 1;
      hosts.landedAt[p] = now;
      this.run.figures.landed(now, harms(this.run.faults, p));
    }
    this.run.reported.add(p, outcome);
    if (hosts.rollbackAfterPatch[p]) this.dispatchRollback(p, now);
    clock.wake(now);
  }

  /** Every host the rollback names: back to its base version, after its patch if one is still running. */
  dispatchRollbacks(now: number): void {
    if (this.rollbackDispatched) return;
    this.rollbackDispatched = true;
    const figures = this.run.figures;
    if (figures.startedBeforeRollback === null) figures.startedBeforeRollback = figures.started;
    this.run.state.hosts.forEach((host, p) => {
      if (host.phase === 'rolling-back') this.dispatchRollback(p, now);
    });
  }

  rollbackDone(p: number): void {
    const { hosts, clock } = this.run;
    const now = clock.now;
    hosts.activity[p] = IDLE;
    hosts.rollbackAfterPatch[p] = 0;
    this.run.counters.hostEvents++;
    if (hosts.onPatch[p] === 1) {
      hosts.onPatch[p] = 0;
      this.run.figures.restored(now, harms(this.run.faults, p) ? (hosts.landedAt[p] ?? now) : null);
    }
    this.run.reported.add(p, ROLLED_BACK);
    clock.wake(now);
  }

  private dispatchRollback(p: number, now: number): void {
    const { hosts, settings } = this.run;
    if (hosts.activity[p] === PATCHING) {
      hosts.rollbackAfterPatch[p] = 1;
    } else if (hosts.onPatch[p] === 1 && hosts.activity[p] === IDLE) {
      hosts.activity[p] = ROLLING_BACK;
      this.run.queue.push(now + this.duration(p, settings.rollbackMedianMs, ROLLBACK_TIME), ROLLBACK_DONE, p);
    } else if (hosts.activity[p] === IDLE) {
      // Never got the patch: the driver confirms its version without touching it, as the runner does.
      hosts.rollbackAfterPatch[p] = 0;
      this.run.reported.add(p, ROLLED_BACK);
      this.run.clock.wake(now);
    }
  }

  /** Each host's own patch (or rollback) time, the same under every policy simulated with this seed. */
  private duration(p: number, median: number, purpose: number): number {
    const i = this.run.hosts.indexAt[p]!;
    const u1 = unitAt(this.run.seed, i, purpose, 11);
    const u2 = unitAt(this.run.seed, i, purpose, 12);
    return Math.max(1, Math.round(logNormal(median, this.run.settings.patchSpread, u1, u2)));
  }
}
