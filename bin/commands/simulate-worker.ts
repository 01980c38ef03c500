/*
 * One plan of `simulate` in a worker thread of its own (simulate-workers.ts): builds the fleet
 * from its recipe, runs the plan, and posts the result back before the thread, and all the
 * plan's memory with it, goes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PlanError } from '../../rollout/engine/plan.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { simulateRollout } from '../../rollout/simulate/simulation.ts';
import type { PlanJob, PlanReply } from './simulate-workers.ts';

const { fleet, run } = workerData as PlanJob;
let reply: PlanReply;
try {
  reply = { result: simulateRollout({ ...run, fleet: simulatedFleet(fleet.shape, fleet.size, fleet.prefix) }) };
} catch (error) {
  if (!(error instanceof PlanError)) throw error;
  reply = { planProblems: [...error.problems] };
}
parentPort!.postMessage(reply);
