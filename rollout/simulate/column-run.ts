import { drawnOrder, listPositionsOf } from '../engine/draw-order.ts';
import { assignRingHosts, type FleetHost } from '../engine/plan.ts';
import { newRingStates, type RolloutState } from '../engine/state.ts';
import { CheckColumns } from './check-columns.ts';
import { CheckRunner } from './check-runner.ts';
import { ColumnConsult } from './column-consult.ts';
import { overDecisionBudget } from './decision-budget.ts';
import { FleetDriver } from './fleet-driver.ts';
import { indexOfHost, TARGET_VERSION, type SimulatedFleet } from './fleet-hosts.ts';
import { HostColumns, LeftFastPath } from './host-columns.ts';
import { ReleaseManager } from './release-manager.ts';
import type { RingSummary, SimulationResult } from './result.ts';
import { contextAround } from './run-context.ts';
import { runResult } from './run-result.ts';
import { SIMULATION_START, type SimulationInput } from './simulation-input.ts';
import { runEvents } from './run-events.ts';
import { BY_WAVES } from './stepping.ts';

/**
 * The run simulateRollout makes, with the engine's host list replaced by columns (host-columns.ts)
 * and its decisions taken from counts (column-decide.ts): no object per host, and the engine's
 * rings, phase and current ring in a state with an empty host list that the driver, the check
 * runner and the soak events read as they read the engine's. Throws LeftFastPath where the run
 * meets what the columns do not model; the caller then runs the plan on the engine's own state.
 */
export function simulateColumns(input: SimulationInput): SimulationResult {
  const id = `simulation-${input.seed >>> 0}`;
  const rings = ringIndices(input.fleet, assignRingHosts(input.fleet.hosts, input.rings, id), id);
  const state: RolloutState = {
    id,
    patch: { name: input.patch?.name ?? 'the patch', version: TARGET_VERSION, severity: input.patch?.severity ?? 'high' },
    phase: 'running',
    ring: 0,
    rings: newRingStates(
      input.rings,
      rings.map((indices) => idsOf(input.fleet, indices)),
    ),
    hosts: [],
    paused: null,
    createdAt: SIMULATION_START,
    audit: [],
  };
  const run = contextAround(input, BY_WAVES, state, (visit) => {
    let p = 0;
    rings.forEach((indices, ring) => {
      for (let k = 0; k < indices.length; k++) visit(p++, indices[k]!, ring);
    });
  });
  const hosts = new HostColumns(input.fleet.size, state.rings);
  const checkColumns = new CheckColumns(input.fleet.size + 4 * input.settings.latencySampleBudget);
  run.recordCheck = (p, at, fails, latencyMs) => {
    if (fails) throw new LeftFastPath('a check failed');
    hosts.passed(p, at);
    checkColumns.add(p, at, true, latencyMs);
  };
  const driver = new FleetDriver(run);
  const checks = new ColumnCheckRunner(run);
  const engine = new ColumnConsult(run, hosts, checkColumns, driver, checks);
  const parts = { driver, checks, releaseManager: new ReleaseManager(run, driver), engine };
  const stopReason = overDecisionBudget(state, run.settings) ?? runEvents(run, parts);
  input.whileAlive?.();
  return runResult(run, input.name, stopReason, ended(hosts, state));
}

/**
 * Each ring's hosts as fleet indices. A ring drawn by count or share is a stretch of the draw,
 * whose list positions the draw kept: no host is looked at (a million scattered reads). Hosts of
 * any other ring are found by their ids.
 */
function ringIndices(fleet: SimulatedFleet, membership: readonly (readonly FleetHost[])[], id: string): Int32Array[] {
  const order = drawnOrder(fleet.hosts, id);
  const drawn = listPositionsOf(order);
  let offset = 0;
  return membership.map((members) => {
    let stretch = drawn !== undefined && offset + members.length <= order.length;
    for (let k = 0; stretch && k < members.length; k++) stretch = members[k] === order[offset + k];
    const indices = stretch ? drawn!.subarray(offset, offset + members.length) : Int32Array.from(members, (h) => indexOfHost(fleet, h.id));
    offset += members.length;
    return indices;
  });
}

function idsOf(fleet: SimulatedFleet, indices: Int32Array): string[] {
  const ids = new Array<string>(indices.length);
  for (let k = 0; k < indices.length; k++) ids[k] = fleet.ids[indices[k]!]!;
  return ids;
}

/** A host whose first check comes later than the engine waits for is failed by the engine: not modelled here. */
class ColumnCheckRunner extends CheckRunner {
  override deadlineReached(p: number): void {
    if (this.run.hosts.onPatch[p] === 1) throw new LeftFastPath('a host had no check result within the timeout');
  }
}

function ended(hosts: HostColumns, state: RolloutState): RingSummary['ended'][] {
  return state.rings.map((_, r) => ({ patched: hosts.patched[r]!, failed: 0, rolledBack: 0 }));
}
