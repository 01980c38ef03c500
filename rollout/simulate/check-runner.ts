import type { HostEvent } from '../engine/transitions.ts';
import { checkLatency, runFails, skipDraw } from './check-results.ts';
import { CHECK_DEADLINE, CHECK_REPORTED } from './event-kinds.ts';
import { TARGET_VERSION } from './fleet-hosts.ts';
import { failProbability } from './host-faults.ts';
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

  constructor(private readonly run: RunContext) {
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
  startCheckRuns(events: readonly HostEvent[], indices: readonly number[], now: number): void {
    const { hosts, faults, policy, queue } = this.run;
    for (let k = 0; k < events.length; k++) {
      if (events[k]!.type !== 'patched') continue;
      const i = indices[k]!;
      if (hosts.onPatch[i] !== 1 || hosts.rollbackAfterPatch[i] || hosts.activity[i] !== IDLE) continue;
      this.flakyLeft[i] = faults.flaky[i] ?? 0;
      this.lastFailed[i] = 0;
      this.flaps[i] = 0;
      this.reportedSincePatch[i] = 0;
      const round = Math.ceil((now - SIMULATION_START) / this.run.intervalMs);
      this.scheduleRun(i, round, this.drawFails(i, round));
      // Reported later than the engine waits for a first result: the engine will call it failed first.
      const delivered = SIMULATION_START + round * this.run.intervalMs + (faults.reportDelayMs[i] ?? 0);
      if (delivered > now + policy.checkTimeoutMs) queue.push(now + policy.checkTimeoutMs, CHECK_DEADLINE, i);
    }
  }

  /** The engine's wait for a host's check ran out: it may now call the host failed. */
  deadlineReached(i: number): void {
    if (this.run.hosts.onPatch[i] === 1) this.run.clock.wake(this.run.clock.now);
  }

  checkReported(i: number): void {
    const { hosts, state, clock, faults, settings, policy, intervalMs, seed } = this.run;
    const now = clock.now;
    if (hosts.onPatch[i] !== 1 || hosts.activity[i] !== IDLE || state.phase === 'completed' || state.phase === 'rolled-back' || state.phase === 'rolling-back') return;
    this.run.counters.hostEvents++;
    const round = this.nextRound[i]!;
    const fails = this.nextFails[i] === 1;
    const at = SIMULATION_START + round * intervalMs;
    const latency = checkLatency(seed, i, round, settings.checkLatencyMs, settings.latencySpread, faults.latencyAddMs[i] ?? 0);
    this.run.log.append(this.run.factory.observation(this.run.fleet.ids[i]!, at, TARGET_VERSION, fails ? 'fail' : 'pass', latency), hosts.position[i]);
    this.lastObservedRound[i] = round;

    const first = this.reportedSincePatch[i] === 0;
    this.reportedSincePatch[i] = 1;
    const failedBefore = this.lastFailed[i] === 1;
    this.lastFailed[i] = fails ? 1 : 0;
    if (fails && failedBefore) {
      // Failed again on re-check: the engine now calls the host failed; its later runs change nothing.
      clock.wake(now);
      return;
    }
    if (fails) {
      this.scheduleRun(i, round + 1, this.drawFails(i, round + 1));
      const deadline = at + policy.checkTimeoutMs;
      const recheck = SIMULATION_START + (round + 1) * intervalMs + (faults.reportDelayMs[i] ?? 0);
      if (recheck > deadline) {
        if (deadline <= now) clock.wake(now);
        else this.run.queue.push(deadline, CHECK_DEADLINE, i);
      }
      return;
    }
    if (failedBefore) {
      this.flaps[i]!++;
      if ((this.flaps[i] ?? 0) > policy.maxFlaps) {
        clock.wake(now);
        return;
      }
      if (!engineIsQuiet(state, policy, now)) clock.wake(now);
    } else if (first && !engineIsQuiet(state, policy, now) && this.ringSettled()) {
      clock.wake(now);
    }
    this.scheduleAfterPass(i, round);
  }

  private drawFails(i: number, round: number): boolean {
    if ((this.flakyLeft[i] ?? 0) > 0) {
      this.flakyLeft[i]!--;
      return true;
    }
    return runFails(this.run.seed, i, round, failProbability(this.run.faults, i));
  }

  private scheduleRun(i: number, round: number, fails: boolean): void {
    this.nextRound[i] = round;
    this.nextFails[i] = fails ? 1 : 0;
    this.run.queue.push(SIMULATION_START + round * this.run.intervalMs + (this.run.faults.reportDelayMs[i] ?? 0), CHECK_REPORTED, i);
  }

  /** After a passing run, the next run that matters: the next failure, if the host can fail at all. */
  private scheduleAfterPass(i: number, round: number): void {
    if ((this.flakyLeft[i] ?? 0) > 0) {
      this.scheduleRun(i, round + 1, this.drawFails(i, round + 1));
      return;
    }
    const skip = geometric(failProbability(this.run.faults, i), skipDraw(this.run.seed, i, round));
    if (Number.isFinite(skip)) this.scheduleRun(i, round + skip, true);
  }

  /** The current ring has no host left to patch or patching: only then can a first check result unblock the engine. */
  private ringSettled(): boolean {
    const { state, hosts } = this.run;
    const ring = state.rings[state.ring];
    return hosts.inFlight === 0 && ring !== undefined && (hosts.dispatched[state.ring] ?? 0) >= ring.hostIds.length;
  }
}
