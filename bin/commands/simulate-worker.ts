/*
 * A thread that runs plans of `simulate` (simulate-workers.ts): builds the fleet from its recipe
 * once, then runs each plan posted to it and posts the result back. The thread, and every plan's
 * memory with it, goes when the pool closes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PlanError } from '../../rollout/engine/plan.ts';
import type { PlanRun } from '../../rollout/simulate/compare.ts';
import { simulatedFleet, type SimulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { simulateRollout } from '../../rollout/simulate/simulation.ts';
import type { FleetRecipe, PlanReply } from './simulate-workers.ts';

const recipe = workerData as FleetRecipe;
let fleet: SimulatedFleet | null = null;
parentPort!.on('message', (run: PlanRun) => {
  fleet ??= simulatedFleet(recipe.shape, recipe.size, recipe.prefix);
  let reply: PlanReply;
  try {
    reply = { result: simulateRollout({ ...run, fleet }) };
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    reply = { planProblems: [...error.problems] };
  }
  parentPort!.postMessage(reply);
});
