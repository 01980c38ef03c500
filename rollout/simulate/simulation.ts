import type { Fault } from '../fleets/faults.ts';
import { approve, resume, rollback as rollbackCommand } from '../engine/commands.ts';
import type { Decision } from '../engine/decision.ts';
import { decide } from '../engine/engine.ts';
import { ObservationLog } from '../engine/observation-log.ts';
import type { RingSpec } from '../engine/plan.ts';
import { soakFor, type RolloutPolicy, type Severity } from '../engine/policy.ts';
import { createRollout, ENGINE, hostsOfRing, type RolloutState } from '../engine/state.ts';
import { apply, applyHostEvents, type HostEvent } from '../engine/transitions.ts';
import { checkLatency, ObservationFactory, runFails, skipDraw } from './check-results.ts';
import { EventQueue } from './event-queue.ts';
import { BASE_VERSION, indexOfHost, TARGET_VERSION, type SimulatedFleet } from './fleet-hosts.ts';
import { hostFaults, type HostFaults } from './host-faults.ts';
import { addLatencySamples } from './latency-samples.ts';
import { geometric, logNormal, unitAt } from './random.ts';
import type { Outcome, SimulationResult, TimelineEntry } from './result.ts';
import { StepSeries } from './series.ts';
import { formatSpan } from './table.ts';
import type { SimulationSettings } from './settings.ts';

export interface SimulationInput {
  /** The policy's name in results. */
  name: string;
  fleet: SimulatedFleet;
  rings: readonly RingSpec[];
  policy: RolloutPolicy;
  checkIntervalMs: number;
  faults: readonly Fault[];
  seed: number;
  settings: SimulationSettings;
  patch?: { name: string; severity: Severity };
  /** Called once at the end of the run while all of its state is still held: lets a benchmark weigh it. */
  whileAlive?: () => void;
}

/** A Patch Tuesday morning: the engine's reasons show dates, and this one reads as one. */
export const SIMULATION_START = Date.UTC(2025, 0, 14, 9, 0);
export const RELEASE_MANAGER = 'simulated release manager';

// Kinds of simulated events; the subject is a host index, a ring index or a pause number.
const PATCH_DONE = 1;
const ROLLBACK_DONE = 2;
const CHECK_REPORTED = 3;
const CHECK_DEADLINE = 4;
const SOAK_END = 5;
const APPROVAL = 6;
const PAUSE_ANSWER = 7;

// What the driver is doing on a host.
const IDLE = 0;
const PATCHING = 1;
const ROLLING_BACK = 2;

// How a patch attempt ends.
const PATCH_OK = 0;
const PATCH_NO_ANSWER = 1;
const PATCH_HOST_LOST = 2;
const PATCH_DISK_FULL = 3;

const TERMINAL = new Set(['completed', 'rolled-back']);
/** A decision that changes the state is followed by another at the same instant, as the runner does; never endlessly. */
const DECISIONS_PER_CONSULT = 16;
const SERIES_POINTS = 600;

/**
 * The rollout a scenario describes, on a simulated fleet, by discrete events: the real engine
 * (createRollout, decide, apply, applyHostEvents, the release manager's commands) decides, and
 * this plays the fleet driver and the check runner around it. Pure: the result is a function of
 * the input and its seed.
 */
export function simulateRollout(input: SimulationInput): SimulationResult {
  return new Simulation(input).run();
}

class Simulation {
  private readonly fleet: SimulatedFleet;
  private readonly settings: SimulationSettings;
  private readonly policy: RolloutPolicy;
  private readonly seed: number;
  private readonly interval: number;
  private readonly tick: number;
  private readonly size: number;
  private state: RolloutState;
  private readonly faults: HostFaults;
  private readonly queue = new EventQueue();
  /** Check history by host as the engine reads it, kept up to date rather than re-indexed per decision. */
  private readonly index = new ObservationLog();
  private readonly factory = new ObservationFactory();
  private reported: HostEvent[] = [];
  private now = SIMULATION_START;
  private consultAt = SIMULATION_START;
  private dirty = true;

  // Per host, by index: what it really runs and what the driver is doing on it.
  private readonly onPatch: Uint8Array;
  private readonly driver: Uint8Array;
  private readonly rollbackAfterPatch: Uint8Array;
  private readonly patchOutcome: Uint8Array;
  private readonly landedAt: Float64Array;
  private readonly ringOf: Uint8Array;
  // Per host: its check runs. Only runs that can change the engine's verdict are simulated
  // (the first after the patch, every failure and the re-check after it); a healthy host's
  // passing runs in between change nothing and are skipped in one draw.
  private readonly nextRound: Float64Array;
  private readonly nextFails: Uint8Array;
  private readonly lastFailed: Uint8Array;
  private readonly flaps: Uint16Array;
  private readonly flakyLeft: Uint8Array;
  private readonly reportedSincePatch: Uint8Array;
  private readonly lastObservedRound: Float64Array;

  private patched = 0;
  private peakPatched = 0;
  private timeTo95: number | null = null;
  private readonly threshold95: number;
  private blastRadius = 0;
  private harmedMs = 0;
  private started = 0;
  private startedBeforeRollback: number | null = null;
  private inFlight = 0;
  private readonly dispatched: number[];
  private rollbackDispatched = false;
  private rollback: SimulationResult['rollback'] = null;
  private pauses = 0;
  private readonly timeline: TimelineEntry[] = [];
  private readonly series = new StepSeries();
  private approvalFor = -1;
  /** When each pause the release manager answers began; a PAUSE_ANSWER event names one by its position. */
  private readonly pausesAnswered: number[] = [];
  private soakEndAt = Number.NaN;
  private readonly latencyJudged = new Set<number>();
  private readonly counters = { engineSteps: 0, consults: 0, hostEvents: 0, queueEvents: 0 };
  private stopReason: string | null = null;

  constructor(private readonly input: SimulationInput) {
    this.fleet = input.fleet;
    this.settings = input.settings;
    this.policy = input.policy;
    this.seed = input.seed >>> 0;
    this.interval = input.checkIntervalMs;
    this.tick = Math.max(1, Math.round(input.settings.tickMs));
    this.size = input.fleet.size;
    this.state = createRollout({
      id: `simulation-${this.seed}`,
      patch: { name: input.patch?.name ?? 'the patch', version: TARGET_VERSION, severity: input.patch?.severity ?? 'high' },
      hosts: input.fleet.hosts,
      rings: input.rings,
      now: SIMULATION_START,
    });
    const n = this.size;
    this.onPatch = new Uint8Array(n);
    this.driver = new Uint8Array(n);
    this.rollbackAfterPatch = new Uint8Array(n);
    this.patchOutcome = new Uint8Array(n);
    this.landedAt = new Float64Array(n);
    this.ringOf = new Uint8Array(n);
    this.nextRound = new Float64Array(n);
    this.nextFails = new Uint8Array(n);
    this.lastFailed = new Uint8Array(n);
    this.flaps = new Uint16Array(n);
    this.flakyLeft = new Uint8Array(n);
    this.reportedSincePatch = new Uint8Array(n);
    this.lastObservedRound = new Float64Array(n).fill(-1);
    for (const host of this.state.hosts) this.ringOf[indexOfHost(this.fleet, host.id)] = host.ring;
    const names = this.state.rings.map((r) => r.name);
    this.faults = hostFaults(
      input.faults,
      n,
      () => input.fleet.hosts.map((host, index) => ({ index, labels: host.labels, ring: names[this.ringOf[index]!] ?? '' })),
      this.seed,
    );
    this.threshold95 = Math.ceil(0.95 * n);
    this.dispatched = this.state.rings.map(() => 0);
  }

  run(): SimulationResult {
    const needed = this.state.rings.reduce((sum, r) => sum + Math.ceil(r.hostIds.length / r.concurrency), 0);
    if (needed > this.settings.maxSteps) {
      const worst = [...this.state.rings].sort((a, b) => b.hostIds.length / b.concurrency - a.hostIds.length / a.concurrency)[0];
      this.stopReason =
        `not simulated: the plan needs at least ${needed.toLocaleString('en')} engine decisions ` +
        `(ring ${worst?.name}: ${worst?.hostIds.length.toLocaleString('en')} hosts, ${worst?.concurrency} at a time), ` +
        `over the limit of ${this.settings.maxSteps.toLocaleString('en')}; at a median patch time of ${formatSpan(this.settings.patchMedianMs)}, ` +
        `that is about ${formatSpan(needed * this.settings.patchMedianMs)} of patching one wave after another`;
      return this.result();
    }
    this.series.record(this.now, 0);
    while (!TERMINAL.has(this.state.phase)) {
      const next = this.queue.peekTime();
      if (this.dirty && this.consultAt < next) {
        this.now = this.consultAt;
        this.consult();
      } else if (this.queue.pop()) {
        this.now = this.queue.time;
        this.counters.queueEvents++;
        this.handle(this.queue.kind, this.queue.subject);
      } else {
        this.stopReason = `stalled: the engine waits (${this.lastHoldReason()}) and nothing the simulation can do will change that`;
        break;
      }
      if (this.counters.engineSteps >= this.settings.maxSteps) {
        this.stopReason = `stopped after ${this.counters.engineSteps.toLocaleString('en')} engine decisions (the limit)`;
        break;
      }
      if (this.now - SIMULATION_START > this.settings.horizonMs) {
        this.stopReason = `stopped at the horizon of ${Math.round(this.settings.horizonMs / 86_400_000)} simulated days`;
        break;
      }
    }
    return this.result();
  }

  // ---- the engine's side ----

  private consult(): void {
    const now = this.now;
    this.dirty = false;
    this.counters.consults++;
    let state = this.state;
    if (this.reported.length > 0) {
      const events = this.reported;
      this.reported = [];
      state = applyHostEvents(state, events, now);
      this.startCheckRuns(events, now);
    }
    for (let i = 0; i < DECISIONS_PER_CONSULT && !TERMINAL.has(state.phase); i++) {
      this.prepareLatencyGate(state, now);
      const decision = decide(state, this.index, now, this.policy);
      this.counters.engineSteps++;
      const after = apply(state, decision, now);
      if (after === state) break;
      state = after;
      this.acted(decision, state, now);
      // Only a promotion is followed by more at the same instant (the next ring's first hosts).
      // After patching as many hosts as the ring's free slots allow, a pause, a rollback or a
      // wait for approval, the engine would only hold: asking it would cost a pass over the fleet.
      if (decision.action !== 'promote') break;
    }
    this.state = state;
    if (state.phase === 'rolling-back') this.dispatchRollbacks(now);
    this.scheduleTimers(now);
  }

  private acted(decision: Decision, state: RolloutState, now: number): void {
    const ring = state.rings[decision.ring]?.name ?? '';
    switch (decision.action) {
      case 'patch-hosts':
        for (const id of decision.hosts) this.dispatchPatch(indexOfHost(this.fleet, id), now);
        return;
      case 'rollback':
        this.startedBeforeRollback = this.started;
        this.rollback = { atMs: now - SIMULATION_START, ring, actor: ENGINE, reasons: decision.reasons };
        break;
      default:
        break;
    }
    this.timeline.push({ atMs: now - SIMULATION_START, actor: ENGINE, action: decision.action, ring, reasons: decision.reasons });
  }

  /** The latency gate is judged once the soak is over; its samples are added just before. */
  private prepareLatencyGate(state: RolloutState, now: number): void {
    const ring = state.rings[state.ring];
    if (state.phase !== 'running' || !ring?.healthGate.latency || ring.soakStartedAt === null || this.latencyJudged.has(state.ring)) return;
    if (now - ring.soakStartedAt - ring.pausedDuringSoakMs < soakFor(ring, this.policy)) return;
    this.latencyJudged.add(state.ring);
    addLatencySamples({
      state,
      ring: state.ring,
      now,
      startedAt: SIMULATION_START,
      intervalMs: this.interval,
      seed: this.seed,
      fleet: this.fleet,
      index: this.index,
      factory: this.factory,
      onPatch: this.onPatch,
      lastObservedRound: this.lastObservedRound,
      offline: this.faults.offline,
      reportDelayMs: this.faults.reportDelayMs,
      latencyAddMs: this.faults.latencyAddMs,
      checkLatencyMs: this.settings.checkLatencyMs,
      latencySpread: this.settings.latencySpread,
      budget: this.settings.latencySampleBudget,
    });
  }

  /** The release manager's answers and the end of the soak are events of their own. */
  private scheduleTimers(now: number): void {
    const state = this.state;
    const { approveAfterMs, respondAfterMs } = this.settings.releaseManager;
    if (state.phase === 'awaiting-approval' && this.approvalFor !== state.ring) {
      this.approvalFor = state.ring;
      this.queue.push(now + approveAfterMs, APPROVAL, state.ring);
    }
    if (state.phase === 'paused' && state.paused?.by === ENGINE && this.pausesAnswered.at(-1) !== state.paused.at) {
      this.pauses++;
      this.pausesAnswered.push(state.paused.at);
      this.queue.push(now + respondAfterMs, PAUSE_ANSWER, this.pausesAnswered.length - 1);
    }
    const ring = state.rings[state.ring];
    if (state.phase === 'running' && ring && ring.soakStartedAt !== null) {
      const end = ring.soakStartedAt + ring.pausedDuringSoakMs + soakFor(ring, this.policy);
      if (end > now && end !== this.soakEndAt) {
        this.soakEndAt = end;
        this.queue.push(end, SOAK_END, state.ring);
      }
    }
  }

  /** Asks the engine at the next tick, unless it will be asked by then anyway. */
  private wake(at: number): void {
    const tick = SIMULATION_START + Math.ceil((at - SIMULATION_START) / this.tick) * this.tick;
    if (!this.dirty || tick < this.consultAt) this.consultAt = tick;
    this.dirty = true;
  }

  /**
   * While the current ring soaks, or the rollout is paused or awaits approval, the engine holds
   * whatever checks say, unless a host turns failed. A check that only raises or clears a
   * suspicion then needs no decision; at other times it may unblock one.
   */
  private quiet(now: number): boolean {
    const state = this.state;
    if (state.phase === 'paused' || state.phase === 'awaiting-approval') return true;
    const ring = state.rings[state.ring];
    if (state.phase !== 'running' || !ring || ring.soakStartedAt === null) return false;
    return now - ring.soakStartedAt - ring.pausedDuringSoakMs < soakFor(ring, this.policy);
  }

  private lastHoldReason(): string {
    const decision = decide(this.state, this.index, this.now, this.policy);
    return decision.reasons.join('; ');
  }

  // ---- the fleet's side ----

  private handle(kind: number, subject: number): void {
    switch (kind) {
      case PATCH_DONE:
        return this.patchDone(subject);
      case ROLLBACK_DONE:
        return this.rollbackDone(subject);
      case CHECK_REPORTED:
        return this.checkReported(subject);
      case CHECK_DEADLINE:
        if (this.onPatch[subject] === 1) this.wake(this.now);
        return;
      case SOAK_END:
        return this.wake(this.now);
      case APPROVAL:
        return this.approve(subject);
      case PAUSE_ANSWER:
        return this.answerPause(subject);
    }
  }

  private dispatchPatch(i: number, now: number): void {
    if (this.driver[i] !== IDLE || this.onPatch[i] === 1) return;
    this.driver[i] = PATCHING;
    this.inFlight++;
    this.started++;
    this.dispatched[this.ringOf[i]!]!++;
    const duration = this.duration(i, this.settings.patchMedianMs, 1);
    if (this.faults.offline[i]) {
      this.patchOutcome[i] = PATCH_NO_ANSWER;
      this.queue.push(now + this.settings.patchTimeoutMs, PATCH_DONE, i);
    } else if (this.faults.lost[i]) {
      this.patchOutcome[i] = PATCH_HOST_LOST;
      this.queue.push(now + Math.max(1, Math.round(duration / 2)), PATCH_DONE, i);
    } else if (this.faults.diskFull[i]) {
      this.patchOutcome[i] = PATCH_DISK_FULL;
      this.queue.push(now + duration, PATCH_DONE, i);
    } else {
      this.patchOutcome[i] = PATCH_OK;
      this.queue.push(now + duration, PATCH_DONE, i);
    }
  }

  /** Each host's own patch (or rollback) time, the same under every policy simulated with this seed. */
  private duration(i: number, median: number, purpose: number): number {
    const u1 = unitAt(this.seed, i, purpose, 11);
    const u2 = unitAt(this.seed, i, purpose, 12);
    return Math.max(1, Math.round(logNormal(median, this.settings.patchSpread, u1, u2)));
  }

  private patchDone(i: number): void {
    this.driver[i] = IDLE;
    this.inFlight--;
    this.counters.hostEvents++;
    const hostId = this.fleet.ids[i]!;
    const outcome = this.patchOutcome[i];
    if (outcome === PATCH_OK) {
      this.onPatch[i] = 1;
      this.landedAt[i] = this.now;
      this.patched++;
      if (this.harms(i)) this.blastRadius++;
      this.peakPatched = Math.max(this.peakPatched, this.patched);
      if (this.timeTo95 === null && this.patched >= this.threshold95) this.timeTo95 = this.now - SIMULATION_START;
      this.series.record(this.now, this.patched);
      this.reported.push({ type: 'patched', hostId, version: TARGET_VERSION });
    } else {
      const reason =
        outcome === PATCH_NO_ANSWER ? 'the host did not answer' : outcome === PATCH_DISK_FULL ? 'dpkg: No space left on device' : 'the host went away mid-patch';
      this.reported.push({ type: 'patch-failed', hostId, version: BASE_VERSION, reason });
    }
    if (this.rollbackAfterPatch[i]) this.dispatchRollback(i, this.now);
    this.wake(this.now);
  }

  /** Every host the rollback names: back to its base version, after its patch if one is still running. */
  private dispatchRollbacks(now: number): void {
    if (this.rollbackDispatched) return;
    this.rollbackDispatched = true;
    if (this.startedBeforeRollback === null) this.startedBeforeRollback = this.started;
    for (const host of this.state.hosts) {
      if (host.phase === 'rolling-back') this.dispatchRollback(indexOfHost(this.fleet, host.id), now);
    }
  }

  private dispatchRollback(i: number, now: number): void {
    if (this.driver[i] === PATCHING) {
      this.rollbackAfterPatch[i] = 1;
    } else if (this.onPatch[i] === 1 && this.driver[i] === IDLE) {
      this.driver[i] = ROLLING_BACK;
      this.queue.push(now + this.duration(i, this.settings.rollbackMedianMs, 2), ROLLBACK_DONE, i);
    } else if (this.driver[i] === IDLE) {
      // Never got the patch: the driver confirms its version without touching it, as the runner does.
      this.rollbackAfterPatch[i] = 0;
      this.reported.push({ type: 'rolled-back', hostId: this.fleet.ids[i]!, version: BASE_VERSION });
      this.wake(now);
    }
  }

  private rollbackDone(i: number): void {
    this.driver[i] = IDLE;
    this.rollbackAfterPatch[i] = 0;
    this.counters.hostEvents++;
    if (this.onPatch[i] === 1) {
      this.onPatch[i] = 0;
      this.patched--;
      if (this.harms(i)) this.harmedMs += this.now - (this.landedAt[i] ?? this.now);
      this.series.record(this.now, this.patched);
    }
    this.reported.push({ type: 'rolled-back', hostId: this.fleet.ids[i]!, version: BASE_VERSION });
    this.wake(this.now);
  }

  // ---- the check runner's side ----

  /** A host the engine now knows as patched gets its first check run at the next round from now. */
  private startCheckRuns(events: readonly HostEvent[], now: number): void {
    for (const event of events) {
      if (event.type !== 'patched') continue;
      const i = indexOfHost(this.fleet, event.hostId);
      if (this.onPatch[i] !== 1 || this.rollbackAfterPatch[i] || this.driver[i] !== IDLE) continue;
      this.flakyLeft[i] = this.faults.flaky[i] ?? 0;
      this.lastFailed[i] = 0;
      this.flaps[i] = 0;
      this.reportedSincePatch[i] = 0;
      const round = Math.ceil((now - SIMULATION_START) / this.interval);
      this.scheduleRun(i, round, this.drawFails(i, round));
      // Reported later than the engine waits for a first result: the engine will call it failed first.
      const delivered = SIMULATION_START + round * this.interval + (this.faults.reportDelayMs[i] ?? 0);
      if (delivered > now + this.policy.checkTimeoutMs) this.queue.push(now + this.policy.checkTimeoutMs, CHECK_DEADLINE, i);
    }
  }

  /** The patch breaks this host or slows it: what the blast radius counts. */
  private harms(i: number): boolean {
    return this.faults.broken[i] === 1 || (this.faults.latencyAddMs[i] ?? 0) > 0;
  }

  private failProbability(i: number): number {
    const flip = this.faults.flipProbability[i] ?? 0;
    return this.faults.broken[i] ? 1 - flip : flip;
  }

  private drawFails(i: number, round: number): boolean {
    if ((this.flakyLeft[i] ?? 0) > 0) {
      this.flakyLeft[i]!--;
      return true;
    }
    return runFails(this.seed, i, round, this.failProbability(i));
  }

  private scheduleRun(i: number, round: number, fails: boolean): void {
    this.nextRound[i] = round;
    this.nextFails[i] = fails ? 1 : 0;
    this.queue.push(SIMULATION_START + round * this.interval + (this.faults.reportDelayMs[i] ?? 0), CHECK_REPORTED, i);
  }

  private checkReported(i: number): void {
    if (this.onPatch[i] !== 1 || this.driver[i] !== IDLE || TERMINAL.has(this.state.phase) || this.state.phase === 'rolling-back') return;
    this.counters.hostEvents++;
    const round = this.nextRound[i]!;
    const fails = this.nextFails[i] === 1;
    const at = SIMULATION_START + round * this.interval;
    const latency = checkLatency(this.seed, i, round, this.settings.checkLatencyMs, this.settings.latencySpread, this.faults.latencyAddMs[i] ?? 0);
    this.index.append(this.factory.observation(this.fleet.ids[i]!, at, TARGET_VERSION, fails ? 'fail' : 'pass', latency));
    this.lastObservedRound[i] = round;

    const first = this.reportedSincePatch[i] === 0;
    this.reportedSincePatch[i] = 1;
    const failedBefore = this.lastFailed[i] === 1;
    this.lastFailed[i] = fails ? 1 : 0;
    if (fails && failedBefore) {
      // Failed again on re-check: the engine now calls the host failed; its later runs change nothing.
      this.wake(this.now);
      return;
    }
    if (fails) {
      this.scheduleRun(i, round + 1, this.drawFails(i, round + 1));
      const deadline = at + this.policy.checkTimeoutMs;
      const recheck = SIMULATION_START + (round + 1) * this.interval + (this.faults.reportDelayMs[i] ?? 0);
      if (recheck > deadline) {
        if (deadline <= this.now) this.wake(this.now);
        else this.queue.push(deadline, CHECK_DEADLINE, i);
      }
      return;
    }
    if (failedBefore) {
      this.flaps[i]!++;
      if ((this.flaps[i] ?? 0) > this.policy.maxFlaps) {
        this.wake(this.now);
        return;
      }
      if (!this.quiet(this.now)) this.wake(this.now);
    } else if (first && !this.quiet(this.now) && this.ringSettled()) {
      this.wake(this.now);
    }
    this.scheduleAfterPass(i, round);
  }

  /** After a passing run, the next run that matters: the next failure, if the host can fail at all. */
  private scheduleAfterPass(i: number, round: number): void {
    if ((this.flakyLeft[i] ?? 0) > 0) {
      this.scheduleRun(i, round + 1, this.drawFails(i, round + 1));
      return;
    }
    const skip = geometric(this.failProbability(i), skipDraw(this.seed, i, round));
    if (Number.isFinite(skip)) this.scheduleRun(i, round + skip, true);
  }

  /** The current ring has no host left to patch or patching: only then can a first check result unblock the engine. */
  private ringSettled(): boolean {
    const ring = this.state.rings[this.state.ring];
    return this.inFlight === 0 && ring !== undefined && (this.dispatched[this.state.ring] ?? 0) >= ring.hostIds.length;
  }

  // ---- the release manager ----

  private approve(ring: number): void {
    const state = this.state;
    const name = state.rings[ring]?.name ?? '';
    if (state.phase !== 'awaiting-approval' || state.ring !== ring) return;
    const reason = `approved after ${formatSpan(this.settings.releaseManager.approveAfterMs)}, as the simulation's release manager does`;
    this.state = approve(state, { actor: RELEASE_MANAGER, reason, ring: name }, this.now);
    this.timeline.push({ atMs: this.now - SIMULATION_START, actor: RELEASE_MANAGER, action: 'approve', ring: name, reasons: [reason] });
    this.wake(this.now);
  }

  private answerPause(pause: number): void {
    const state = this.state;
    if (state.phase !== 'paused' || state.paused?.at !== this.pausesAnswered[pause]) return;
    const name = state.rings[state.ring]?.name ?? '';
    const { onPause, respondAfterMs } = this.settings.releaseManager;
    const reason = `${onPause === 'resume' ? 'resumed, accepting the failures,' : 'rolled back'} after ${formatSpan(respondAfterMs)}, as the simulation's release manager does`;
    const command = { actor: RELEASE_MANAGER, reason };
    if (onPause === 'resume') {
      this.state = resume(state, command, this.now);
    } else {
      this.startedBeforeRollback = this.started;
      this.state = rollbackCommand(state, command, this.now);
      this.rollback = { atMs: this.now - SIMULATION_START, ring: name, actor: RELEASE_MANAGER, reasons: [reason] };
      this.dispatchRollbacks(this.now);
    }
    this.timeline.push({ atMs: this.now - SIMULATION_START, actor: RELEASE_MANAGER, action: onPause, ring: name, reasons: [reason] });
    this.wake(this.now);
  }

  // ---- the figures ----

  private result(): SimulationResult {
    this.input.whileAlive?.();
    const end = this.now;
    for (let i = 0; i < this.size; i++) {
      if (this.onPatch[i] === 1 && (this.harms(i))) this.harmedMs += end - (this.landedAt[i] ?? end);
    }
    const outcome: Outcome = this.state.phase === 'completed' ? 'completed' : this.state.phase === 'rolled-back' ? 'rolled-back' : 'stopped';
    const thinned = this.series.thinned(SERIES_POINTS, end);
    return {
      name: this.input.name,
      seed: this.seed,
      hosts: this.size,
      rings: this.state.rings.map((r) => ({
        name: r.name,
        hosts: r.hostIds.length,
        concurrency: r.concurrency,
        failureBudget: r.failureBudget,
        soakMs: soakFor(r, this.policy),
      })),
      outcome,
      stopReason: outcome === 'stopped' ? this.stopReason : null,
      durationMs: end - SIMULATION_START,
      timeTo95Ms: this.timeTo95,
      peakPatched: this.peakPatched,
      finalPatched: this.patched,
      harmedHosts: this.faults.harmed,
      blastRadius: this.blastRadius,
      harmedHostHours: this.harmedMs / 3_600_000,
      startedBeforeRollback: this.startedBeforeRollback ?? this.started,
      rollback: this.rollback,
      falseRollback: outcome === 'rolled-back' && this.faults.harmed === 0,
      pauses: this.pauses,
      timeline: this.timeline,
      series: { atMs: thinned.at.map((t) => t - SIMULATION_START), patched: thinned.value },
      work: { ...this.counters },
    };
  }
}

