import { ENGINE } from '../engine/state.ts';
import type { CheckColumns } from './check-columns.ts';
import type { CheckRunner } from './check-runner.ts';
import { decideFromColumns } from './column-decide.ts';
import { DECISIONS_PER_CONSULT, finished } from './engine-consult.ts';
import type { FleetDriver } from './fleet-driver.ts';
import { TARGET_VERSION } from './fleet-hosts.ts';
import { HEALTHY, LeftFastPath, PENDING, type HostColumns } from './host-columns.ts';
import { PATCHED } from './host-reports.ts';
import { drawLatencySamples, sampleSource } from './latency-samples.ts';
import type { RunContext } from './run-context.ts';
import { SoakWakes } from './soak-wakes.ts';

/**
 * EngineConsult (engine-consult.ts) on the fast path: the host events since the last consult
 * change the columns as the engine's transitions would change its host list, then decisions are
 * taken from the columns (column-decide.ts) and applied to them and to the rings, in the same
 * order and as many at one instant as the engine would take.
 */
export class ColumnConsult {
  private readonly wakes: SoakWakes;

  constructor(
    private readonly run: RunContext,
    private readonly hosts: HostColumns,
    private readonly checkColumns: CheckColumns,
    private readonly driver: FleetDriver,
    private readonly checks: CheckRunner,
  ) {
    this.wakes = new SoakWakes(run);
  }

  consult(): void {
    const { clock, counters, policy, state } = this.run;
    const now = clock.now;
    clock.dirty = false;
    counters.consults++;
    if (this.run.reported.size > 0) {
      const { positions, what } = this.run.reported.take(() => '', true);
      for (let k = 0; k < what.length; k++) {
        if (what[k] !== PATCHED) throw new LeftFastPath(`a host's patch did not land`);
        this.hosts.landed(positions[k]!, now);
      }
      // The soak clock starts when the ring's last host finishes patching (transitions.ts).
      const ring = state.rings[state.ring]!;
      if (what.length > 0 && ring.startedAt !== null && ring.soakStartedAt === null && !this.hosts.busy(state.ring)) ring.soakStartedAt = now;
      this.checks.startCheckRuns(what, positions, now);
    }
    for (let i = 0; i < DECISIONS_PER_CONSULT && !finished(state); i++) {
      this.prepareLatencyGate(now);
      const decision = decideFromColumns(state, this.hosts, this.checkColumns, now, policy);
      counters.engineSteps++;
      if (decision.action === 'hold') break;
      const ring = state.rings[state.ring]!;
      if (decision.action === 'patch-hosts') {
        ring.startedAt ??= now;
        for (const p of this.hosts.startPatching(state.ring, decision.count)) this.driver.dispatchPatch(p, now);
        break;
      }
      this.run.figures.record(now, ENGINE, decision.action, ring.name, decision.reasons);
      if (decision.action === 'complete') {
        state.phase = 'completed';
        break;
      }
      ring.promotedAt = now;
      state.ring++;
    }
    this.wakes.scheduleSoakEnd(now);
  }

  holdReason(): string {
    throw new LeftFastPath('the run stalled');
  }

  private prepareLatencyGate(now: number): void {
    const state = this.run.state;
    if (!this.wakes.latencySamplesDue(state, now)) return;
    const { hosts, checkColumns } = this;
    // A sample is a passing check run like any other: the first one since a host's patch makes it "passing" to the engine too.
    const source = sampleSource(this.run, this.checks.lastObservedRound, state, now, (p, at, version, latencyMs) => {
      const onTarget = version === TARGET_VERSION;
      if (onTarget) hosts.passed(p, at);
      checkColumns.add(p, at, onTarget, latencyMs);
    });
    const patched: number[] = [];
    const baseline: number[] = [];
    const { onPatch } = this.run.hosts;
    const { offline } = this.run.faults;
    for (let p = 0; p < hosts.phase.length; p++) {
      if (p >= hosts.firstOf[state.ring]! && p < hosts.endOf[state.ring]! && hosts.phase[p] === HEALTHY && onPatch[p] === 1) patched.push(p);
      else if (hosts.phase[p] === PENDING && onPatch[p] === 0 && offline[p] === 0) baseline.push(p);
    }
    drawLatencySamples(source, patched, baseline, (p) => hosts.patchedAt[p]!, state.rings[state.ring]?.startedAt ?? now);
  }
}
