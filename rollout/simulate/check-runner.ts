import { checkLatency, runFails, skipDraw } from './check-results.ts';
import { CHECK_DEADLINE, CHECK_REPORTED } from './event-kinds.ts';
import { failProbability } from './host-faults.ts';
import { PATCHED } from './host-reports.ts';
import { IDLE } from './host-table.ts';
import { geometric } from './random.ts';
import type { RunContext } from './run-context.ts';
import { engineIsQuiet } from './soak.ts';
import { SIMULATION_START } from './simulation-input.ts';

/**
 * The check runner: runs each patched host's checks once a check interval and reports them into
 * the engine's log. Only runs that can change the engine's verdict are simulated (the first after
 * the patch, every failure and the re-check after it); a healthy host's passing runs in between
 * change nothing and are skipped in one draw.
 */
export class CheckRunner {
  private readonly nextRound: Float64Array;
  private readonly nextFails: Uint8Array;
  private readonly lastFailed: Uint8Array;
  private readonly flaps: Uint16Array;
  private readonly flakyLeft: Uint8Array;
  private readonly reportedSincePatch: Uint8Array;
  /** The latest round each host has an observation for; -1 when none. */
  readonly lastObservedRound: Float64Array;

  constructor(protected readonly run: RunContext) {
    const n = run.fleet.size;
    this.nextRound = new Float64Array(n);
    this.nextFails = new Uint8Array(n);
    this.lastFailed = new Uint8Array(n);
    this.flaps = new Uint16Array(n);
    this.flakyLeft = new Uint8Array(n);
    this.reportedSincePatch = new Uint8Array(n);
    this.lastObservedRound = new Float64Array(n).fill(-1);
  }

  /** A host the engine now knows as patched gets its first check run at the next round from now. */
  startCheckRuns(what: Uint8Array, positions: Int32Array, now: number): void {
    const { hosts, faults, policy, queue } = this.run;
    for (let k = 0; k < what.length; k++) {
      if (what[k] !== PATCHED) continue;
      const p = positions[k]!;
      if (hosts.onPatch[p] !== 1 || hosts.rollbackAfterPatch[p] || hosts.activity[p] !== IDLE) continue;
      this.flakyLeft[p] = faults.flaky[p] ?? 0;
      this.lastFailed[p] = 0;
      this.flaps[p] = 0;
      this.reportedSincePatch[p] = 0;
      const round = Math.ceil((now - SIMULATION_START) / this.run.intervalMs);
      this.scheduleRun(p, round, this.drawFails(p, round));
      // Reported later than the engine waits for a first result: the engine will call it failed first.
      const delivered = SIMULATION_START + round * this.run.intervalMs + (faults.reportDelayMs[p] ?? 0);
      if (delivered > now + policy.checkTimeoutMs) queue.push(now + policy.checkTimeoutMs, CHECK_DEADLINE, p);
    }
  }

  /** The engine's wait for a host's check ran out: it may now call the host failed. */
  deadlineReached(p: number): void {
    if (this.run.hosts.onPatch[p] === 1) this.run.clock.wake(this.run.clock.now);
  }

  checkReported(p: number): void {
    const { hosts, state, clock, faults, settings, policy, intervalMs, seed } = this.run;
    const now = clock.now;
    if (hosts.onPatch[p] !== 1 || hosts.activity[p] !== IDLE || state.phase === 'completed' || state.phase === 'rolled-back' || state.phase === 'rolling-back') return;
    this.run.counters.hostEvents++;
    const round = this.nextRound[p]!;
    const fails = this.nextFails[p] === 1;
    const at = SIMULATION_START + round * intervalMs;
    const i = hosts.indexAt[p]!;
    const latency = checkLatency(seed, i, round, settings.checkLatencyMs, settings.latencySpread, faults.latencyAddMs[p] ?? 0);
    this.run.recordCheck(p, at, fails, latency);
    this.lastObservedRound[p] = round;

    const first = this.reportedSincePatch[p] === 0;
    this.reportedSincePatch[p] = 1;
    const failedBefore = this.lastFailed[p] === 1;
    this.lastFailed[p] = fails ? 1 : 0;
    if (fails && failedBefore) {
      // Failed again on re-check: the engine now calls the host failed; its later runs change nothing.
      clock.wake(now);
      return;
    }
    if (fails) {
      this.scheduleRun(p, round + 1, this.drawFails(p, round + 1));
      const deadline = at + policy.checkTimeoutMs;
      const recheck = SIMULATION_START + (round + 1) * intervalMs + (faults.reportDelayMs[p] ?? 0);
      if (recheck > deadline) {
        if (deadline <= now) clock.wake(now);
        else this.run.queue.push(deadline, CHECK_DEADLINE, p);
      }
      return;
    }
    if (failedBefore) {
      this.flaps[p]!++;
      if ((this.flaps[p] ?? 0) > policy.maxFlaps) {
        clock.wake(now);
        return;
      }
      if (!engineIsQuiet(state, policy, now)) clock.wake(now);
    } else if (first && !engineIsQuiet(state, policy, now) && this.ringSettled()) {
      clock.wake(now);
    }
    this.scheduleAfterPass(p, round);
  }

  private drawFails(p: number, round: number): boolean {
    if ((this.flakyLeft[p] ?? 0) > 0) {
      this.flakyLeft[p]!--;
      return true;
    }
    return runFails(this.run.seed, this.run.hosts.indexAt[p]!, round, failProbability(this.run.faults, p));
  }

  private scheduleRun(p: number, round: number, fails: boolean): void {
    this.nextRound[p] = round;
    this.nextFails[p] = fails ? 1 : 0;
    this.run.queue.push(SIMULATION_START + round * this.run.intervalMs + (this.run.faults.reportDelayMs[p] ?? 0), CHECK_REPORTED, p);
  }

  /** After a passing run, the next run that matters: the next failure, if the host can fail at all. */
  private scheduleAfterPass(p: number, round: number): void {
    if ((this.flakyLeft[p] ?? 0) > 0) {
      this.scheduleRun(p, round + 1, this.drawFails(p, round + 1));
      return;
    }
    const fails = failProbability(this.run.faults, p);
    // A host that cannot fail has no next run that matters: no draw for it.
    if (fails <= 0) return;
    const skip = geometric(fails, skipDraw(this.run.seed, this.run.hosts.indexAt[p]!, round));
    if (Number.isFinite(skip)) this.scheduleRun(p, round + skip, true);
  }

  /** The current ring has no host left to patch or patching: only then can a first check result unblock the engine. */
  private ringSettled(): boolean {
    const { state, hosts } = this.run;
    const ring = state.rings[state.ring];
    return hosts.inFlight === 0 && ring !== undefined && (hosts.dispatched[state.ring] ?? 0) >= ring.hostIds.length;
  }
}
