import { Worker } from 'node:worker_threads';
import { PlanError } from '../../rollout/engine/plan.ts';
import type { FleetShape } from '../../rollout/fleets/host-labels.ts';
import type { PlanRun, PlanRunner } from '../../rollout/simulate/compare.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';

/**
 * From this many simulated hosts, `simulate` runs each plan in a worker thread of its own, one
 * after another: a plan's million host states, check history and memos go when its thread ends,
 * rather than lingering in one heap that the next plan then grows past (test/bench/RESULTS.md,
 * run G: four plans at a million, 0.91x the peak RSS for 1.2-1.3x the CPU). Each thread costs a
 * second or two of CPU (loading the simulator, warming up, building the fleet again), which
 * smaller fleets do not win back: at 200,000 hosts one thread peaks at 446 MB anyway, and threads
 * took 1.8x its CPU. The threshold sits between those measurements, not at a measured optimum.
 */
export const DEFAULT_PLAN_WORKER_HOSTS = 750_000;

/**
 * Plans simulated at once, each in its own thread, from that size: the machine's two cores. A plan
 * at a million hosts peaks at about 400-450 MB with its hosts in columns (test/bench/RESULTS.md,
 * run H), so two fit in 1 GB; `PATCHLAB_SIMULATE_PLANS_AT_ONCE` changes it.
 */
export const DEFAULT_PLANS_AT_ONCE = 2;

export function plansAtOnce(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'PATCHLAB_SIMULATE_PLANS_AT_ONCE', 'plans', DEFAULT_PLANS_AT_ONCE);
}

export function planWorkerHosts(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'PATCHLAB_SIMULATE_WORKER_HOSTS', 'hosts', DEFAULT_PLAN_WORKER_HOSTS);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, unit: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`${name}: expected a whole number of ${unit} from 1 up, got "${raw}"`);
  }
  return n;
}

/** The fleet as a worker builds it again: simulatedFleet(shape, size, prefix) gives the same hosts in every thread. */
export interface FleetRecipe {
  shape: FleetShape;
  size: number;
  prefix: string;
}

export interface PlanJob {
  fleet: FleetRecipe;
  run: PlanRun;
}

/** What the worker posts back: the result, or the problems a plan the engine refused has. */
export type PlanReply = { result: SimulationResult } | { planProblems: string[] };

/** Each plan in a worker thread of its own, on the fleet the recipe builds. */
export function inWorkers(fleet: FleetRecipe): PlanRunner {
  return (run) => simulateInWorker({ fleet, run });
}

/**
 * The worker's entry is TypeScript, as the CLI is, and a thread does not get the tsx loader its
 * process was started with (Node 20): the thread starts from a line of JavaScript that imports
 * the entry through tsx's API.
 */
function workerBootstrap(): string {
  const entry = new URL('./simulate-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
}

export function simulateInWorker(job: PlanJob): Promise<SimulationResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerBootstrap(), { eval: true, workerData: job });
    let reply: PlanReply | undefined;
    worker.once('message', (message: PlanReply) => {
      reply = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (reply && 'result' in reply) resolve(reply.result);
      else if (reply) reject(new PlanError(reply.planProblems));
      else reject(new Error(`the worker simulating "${job.run.name}" (seed ${job.run.seed}) ended with exit code ${code} before giving a result`));
    });
  });
}
