import { CheckRunner } from './check-runner.ts';
import { overDecisionBudget } from './decision-budget.ts';
import { EngineConsult } from './engine-consult.ts';
import { APPROVAL, CHECK_DEADLINE, CHECK_REPORTED, PATCH_DONE, PAUSE_ANSWER, ROLLBACK_DONE, SOAK_END } from './event-kinds.ts';
import { FleetDriver } from './fleet-driver.ts';
import { ReleaseManager } from './release-manager.ts';
import type { SimulationResult } from './result.ts';
import { createRunContext, type RunContext } from './run-context.ts';
import { runResult } from './run-result.ts';
import { SIMULATION_START, type SimulationInput } from './simulation-input.ts';
import { BY_WAVES, HOST_BY_HOST, type Stepping } from './stepping.ts';

export type { SimulationInput } from './simulation-input.ts';

/**
 * The rollout a scenario describes, on a simulated fleet, by discrete events: the real engine
 * (createRollout, decide, apply, applyHostEvents, the release manager's commands) decides, and
 * this plays the fleet driver and the check runner around it. Pure: the result is a function of
 * the input and its seed. Steps by waves (stepping.ts); a million hosts take seconds.
 */
export function simulateRollout(input: SimulationInput): SimulationResult {
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

interface Parts {
  driver: FleetDriver;
  checks: CheckRunner;
  releaseManager: ReleaseManager;
  engine: EngineConsult;
}

/** Events in time order, the engine consulted between them, until the rollout ends; why it stopped when it did not. */
function runEvents(run: RunContext, parts: Parts): string | null {
  const { clock, queue, counters, settings } = run;
  run.figures.series.record(clock.now, 0);
  while (run.state.phase !== 'completed' && run.state.phase !== 'rolled-back') {
    if (clock.dirty && clock.consultAt < queue.peekTime()) {
      clock.now = clock.consultAt;
      parts.engine.consult();
    } else if (queue.pop()) {
      clock.now = queue.time;
      counters.queueEvents++;
      handle(run, parts, queue.kind, queue.subject);
    } else {
      return `stalled: the engine waits (${parts.engine.holdReason()}) and nothing the simulation can do will change that`;
    }
    if (settings.maxSteps !== null && counters.engineSteps >= settings.maxSteps) {
      return `stopped after ${counters.engineSteps.toLocaleString('en')} engine decisions (the limit)`;
    }
    if (clock.now - SIMULATION_START > settings.horizonMs) {
      return `stopped at the horizon of ${Math.round(settings.horizonMs / 86_400_000)} simulated days`;
    }
  }
  return null;
}

function handle(run: RunContext, parts: Parts, kind: number, subject: number): void {
  switch (kind) {
    case PATCH_DONE:
      return parts.driver.patchDone(subject);
    case ROLLBACK_DONE:
      return parts.driver.rollbackDone(subject);
    case CHECK_REPORTED:
      return parts.checks.checkReported(subject);
    case CHECK_DEADLINE:
      return parts.checks.deadlineReached(subject);
    case SOAK_END:
      return run.clock.wake(run.clock.now);
    case APPROVAL:
      return parts.releaseManager.approve(subject);
    case PAUSE_ANSWER:
      return parts.releaseManager.answerPause(subject);
  }
}
