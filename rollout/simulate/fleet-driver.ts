import { BASE_VERSION, indexOfHost, TARGET_VERSION } from './fleet-hosts.ts';
import { PATCH_DONE, ROLLBACK_DONE } from './event-kinds.ts';
import { harms } from './host-faults.ts';
import { IDLE, PATCHING, ROLLING_BACK } from './host-table.ts';
import { logNormal, unitAt } from './random.ts';
import type { RunContext } from './run-context.ts';

// How a patch attempt ends.
const PATCH_OK = 0;
const PATCH_NO_ANSWER = 1;
const PATCH_HOST_LOST = 2;
const PATCH_DISK_FULL = 3;

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
      this.patchOutcome[i] = PATCH_NO_ANSWER;
      queue.push(now + settings.patchTimeoutMs, PATCH_DONE, i);
    } else if (faults.lost[i]) {
      this.patchOutcome[i] = PATCH_HOST_LOST;
      queue.push(now + Math.max(1, Math.round(duration / 2)), PATCH_DONE, i);
    } else if (faults.diskFull[i]) {
      this.patchOutcome[i] = PATCH_DISK_FULL;
      queue.push(now + duration, PATCH_DONE, i);
    } else {
      this.patchOutcome[i] = PATCH_OK;
      queue.push(now + duration, PATCH_DONE, i);
    }
  }

  patchDone(i: number): void {
    const { hosts, clock, fleet } = this.run;
    const now = clock.now;
    hosts.activity[i] = IDLE;
    hosts.inFlight--;
    this.run.counters.hostEvents++;
    const hostId = fleet.ids[i]!;
    const outcome = this.patchOutcome[i];
    if (outcome === PATCH_OK) {
      hosts.onPatch[i] = 1;
      hosts.landedAt[i] = now;
      this.run.figures.landed(now, harms(this.run.faults, i));
      this.run.reported.push({ type: 'patched', hostId, version: TARGET_VERSION });
    } else {
      const reason =
        outcome === PATCH_NO_ANSWER ? 'the host did not answer' : outcome === PATCH_DISK_FULL ? 'dpkg: No space left on device' : 'the host went away mid-patch';
      this.run.reported.push({ type: 'patch-failed', hostId, version: BASE_VERSION, reason });
    }
    if (hosts.rollbackAfterPatch[i]) this.dispatchRollback(i, now);
    clock.wake(now);
  }

  /** Every host the rollback names: back to its base version, after its patch if one is still running. */
  dispatchRollbacks(now: number): void {
    if (this.rollbackDispatched) return;
    this.rollbackDispatched = true;
    const figures = this.run.figures;
    if (figures.startedBeforeRollback === null) figures.startedBeforeRollback = figures.started;
    for (const host of this.run.state.hosts) {
      if (host.phase === 'rolling-back') this.dispatchRollback(indexOfHost(this.run.fleet, host.id), now);
    }
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
    this.run.reported.push({ type: 'rolled-back', hostId: this.run.fleet.ids[i]!, version: BASE_VERSION });
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
      this.run.reported.push({ type: 'rolled-back', hostId: this.run.fleet.ids[i]!, version: BASE_VERSION });
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
