import type { CheckRunner } from './check-runner.ts';
import { APPROVAL, CHECK_DEADLINE, CHECK_REPORTED, PATCH_DONE, PAUSE_ANSWER, ROLLBACK_DONE, SOAK_END } from './event-kinds.ts';
import type { FleetDriver } from './fleet-driver.ts';
import type { ReleaseManager } from './release-manager.ts';
import type { RunContext } from './run-context.ts';
import { SIMULATION_START } from './simulation-input.ts';

export interface Parts {
  driver: FleetDriver;
  checks: CheckRunner;
  releaseManager: ReleaseManager;
  engine: { consult(): void; holdReason(): string };
}

/** Events in time order, the engine consulted between them, until the rollout ends; why it stopped when it did not. */
export function runEvents(run: RunContext, parts: Parts): string | null {
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
