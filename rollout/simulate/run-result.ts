import { soakFor } from '../engine/policy.ts';
import { harms } from './host-faults.ts';
import type { RolloutState } from '../engine/state.ts';
import type { Outcome, RingSummary, SimulationResult } from './result.ts';
import type { RunContext } from './run-context.ts';
import { SIMULATION_START } from './simulation-input.ts';

const SERIES_POINTS = 600;

/** The figures of a run that ended now: harmed hosts still on the patch count until the end. */
export function runResult(run: RunContext, name: string, stopReason: string | null, ended: RingSummary['ended'][] = endedOf(run.state)): SimulationResult {
  const { hosts, faults, figures, state, counters } = run;
  const end = run.clock.now;
  for (let p = 0; p < run.fleet.size; p++) {
    if (hosts.onPatch[p] === 1 && harms(faults, p)) figures.harmedMs += end - (hosts.landedAt[p] ?? end);
  }
  const outcome: Outcome = state.phase === 'completed' ? 'completed' : state.phase === 'rolled-back' ? 'rolled-back' : 'stopped';
  const thinned = figures.series.thinned(SERIES_POINTS, end);
  return {
    name,
    seed: run.seed,
    hosts: run.fleet.size,
    rings: state.rings.map((r, ring) => ({
      name: r.name,
      hosts: r.hostIds.length,
      concurrency: r.concurrency,
      failureBudget: r.failureBudget,
      soakMs: soakFor(r, run.policy),
      ended: ended[ring]!,
    })),
    outcome,
    stopReason: outcome === 'stopped' ? stopReason : null,
    durationMs: end - SIMULATION_START,
    timeTo95Ms: figures.timeTo95,
    peakPatched: figures.peakPatched,
    finalPatched: figures.patched,
    harmedHosts: faults.harmed,
    blastRadius: figures.blastRadius,
    harmedHostHours: figures.harmedMs / 3_600_000,
    startedBeforeRollback: figures.startedBeforeRollback ?? figures.started,
    rollback: figures.rollback,
    falseRollback: outcome === 'rolled-back' && faults.harmed === 0,
    pauses: figures.pauses,
    timeline: figures.timeline,
    series: { atMs: thinned.at.map((t) => t - SIMULATION_START), patched: thinned.value },
    work: { ...counters },
  };
}

/** Where each ring's hosts ended, as the engine saw them. */
function endedOf(state: RolloutState): RingSummary['ended'][] {
  const ended = state.rings.map(() => ({ patched: 0, failed: 0, rolledBack: 0 }));
  for (const host of state.hosts) {
    const counts = ended[host.ring]!;
    if (host.phase === 'healthy') counts.patched++;
    else if (host.phase === 'failed') counts.failed++;
    else if (host.phase === 'rolled-back') counts.rolledBack++;
  }
  return ended;
}
