import { CheckRunner } from './check-runner.ts';
import { overDecisionBudget } from './decision-budget.ts';
import { EngineConsult } from './engine-consult.ts';
import { FleetDriver } from './fleet-driver.ts';
import { ReleaseManager } from './release-manager.ts';
import type { SimulationResult } from './result.ts';
import { simulateColumns } from './column-run.ts';
import { LeftFastPath } from './host-columns.ts';
import { createRunContext } from './run-context.ts';
import { runEvents } from './run-events.ts';
import { runResult } from './run-result.ts';
import type { SimulationInput } from './simulation-input.ts';
import { BY_WAVES, HOST_BY_HOST, type Stepping } from './stepping.ts';

export type { SimulationInput } from './simulation-input.ts';

/**
 * The rollout a scenario describes, on a simulated fleet, by discrete events: the real engine
 * (createRollout, decide, apply, applyHostEvents, the release manager's commands) decides, and
 * this plays the fleet driver and the check runner around it. Pure: the result is a function of
 * the input and its seed. Steps by waves (stepping.ts). While no patch or check fails, the hosts
 * live in columns and decisions are taken from counts (column-run.ts); from the first event the
 * columns do not model, the plan is simulated again from the start on the engine's own state.
 */
export function simulateRollout(input: SimulationInput): SimulationResult {
  try {
    return simulateColumns(input);
  } catch (error) {
    if (!(error instanceof LeftFastPath)) throw error;
    return simulateByWaves(input);
  }
}

/**
 * The same run on the engine's own state (a host object each, decided by decide and apply): what
 * simulateRollout falls back to where the columns stop, and the reference they are held to.
 */
export function simulateByWaves(input: SimulationInput): SimulationResult {
  return simulate(input, BY_WAVES);
}

/** The same run stepped host by host on copied states: the reference the waves are held to. */
export function simulateHostByHost(input: SimulationInput): SimulationResult {
  return simulate(input, HOST_BY_HOST);
}

function simulate(input: SimulationInput, stepping: Stepping): SimulationResult {
  const run = createRunContext(input, stepping);
  const driver = new FleetDriver(run);
  const checks = new CheckRunner(run);
  const releaseManager = new ReleaseManager(run, driver);
  const engine = new EngineConsult(run, driver, checks, releaseManager);
  const stopReason = overDecisionBudget(run.state, run.settings) ?? runEvents(run, { driver, checks, releaseManager, engine });
  input.whileAlive?.();
  return runResult(run, input.name, stopReason);
}

