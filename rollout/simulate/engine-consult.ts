import type { Decision } from '../engine/decision.ts';
import { notedPositions } from '../engine/engine-memo.ts';
import { decide } from '../engine/engine.ts';
import { ENGINE, type RolloutState } from '../engine/state.ts';
import { apply, applyHostEvents } from '../engine/transitions.ts';
import type { CheckRunner } from './check-runner.ts';
import type { FleetDriver } from './fleet-driver.ts';
import { indexOfHost } from './fleet-hosts.ts';
import { addLatencySamples, sampleSource } from './latency-samples.ts';
import type { ReleaseManager } from './release-manager.ts';
import { keepState, type RunContext } from './run-context.ts';
import { SoakWakes } from './soak-wakes.ts';

/** A decision that changes the state is followed by another at the same instant, as the runner does; never endlessly. */
export const DECISIONS_PER_CONSULT = 16;

export function finished(state: RolloutState): boolean {
  return state.phase === 'completed' || state.phase === 'rolled-back';
}

/**
 * The engine's side of the run: at a consult, the host events reported since the last one are
 * applied, then the real engine decides and its decisions are applied and handed to the driver.
 */
export class EngineConsult {
  private readonly wakes: SoakWakes;

  constructor(
    private readonly run: RunContext,
    private readonly driver: FleetDriver,
    private readonly checks: CheckRunner,
    private readonly releaseManager: ReleaseManager,
  ) {
    this.wakes = new SoakWakes(run);
  }

  consult(): void {
    const { clock, counters, policy, log } = this.run;
    const now = clock.now;
    clock.dirty = false;
    counters.consults++;
    let state = this.run.state;
    if (this.run.reported.size > 0) {
      const { fleet, hosts } = this.run;
      const { events, positions, what } = this.run.reported.take((p) => fleet.ids[hosts.indexAt[p]!]!, this.run.stepping.reportsByPosition);
      state = applyHostEvents(state, events, now, positions);
      this.checks.startCheckRuns(what, positions, now);
    }
    for (let i = 0; i < DECISIONS_PER_CONSULT && !finished(state); i++) {
      this.prepareLatencyGate(state, now);
      const decision = decide(state, log, now, policy);
      counters.engineSteps++;
      const after = apply(state, decision, now);
      if (after === state) break;
      state = after;
      this.acted(decision, state, now);
      // Only a promotion is followed by more at the same instant (the next ring's first hosts).
      // After patching as many hosts as the ring's free slots allow, a pause, a rollback or a
      // wait for approval, the engine would only hold: asking it would cost a pass over the fleet.
      if (decision.action !== 'promote') break;
    }
    keepState(this.run, state);
    if (state.phase === 'rolling-back') this.driver.dispatchRollbacks(now);
    this.releaseManager.scheduleAnswers(now);
    this.wakes.scheduleSoakEnd(now);
  }

  /** Why the engine holds now, in its own words. */
  holdReason(): string {
    return decide(this.run.state, this.run.log, this.run.clock.now, this.run.policy).reasons.join('; ');
  }

  private acted(decision: Decision, state: RolloutState, now: number): void {
    const ring = state.rings[decision.ring]?.name ?? '';
    switch (decision.action) {
      case 'patch-hosts': {
        // Where the engine found them, when it says (checked), or from the number in the name.
        const noted = notedPositions(decision.hosts);
        decision.hosts.forEach((id, k) => {
          const p = noted?.[k];
          this.driver.dispatchPatch(p !== undefined && state.hosts[p]?.id === id ? p : this.run.hosts.position[indexOfHost(this.run.fleet, id)]!, now);
        });
        return;
      }
      case 'rollback':
        this.run.figures.rollbackOrdered(now, ring, ENGINE, decision.reasons);
        break;
      default:
        break;
    }
    this.run.figures.record(now, ENGINE, decision.action, ring, decision.reasons);
  }

  /** The latency gate is judged once the soak is over; its samples are added just before (soak-wakes.ts). */
  private prepareLatencyGate(state: RolloutState, now: number): void {
    if (!this.wakes.latencySamplesDue(state, now)) return;
    const run = this.run;
    const add = (p: number, at: number, version: string, latencyMs: number) =>
      run.log.append(run.factory.observation(run.fleet.ids[run.hosts.indexAt[p]!]!, at, version, 'pass', latencyMs), p);
    addLatencySamples(sampleSource(run, this.checks.lastObservedRound, state, now, add));
  }
}
