import { Worker } from 'node:worker_threads';
import { PlanError } from '../../rollout/engine/plan.ts';
import type { FleetShape } from '../../rollout/fleets/host-labels.ts';
import type { PlanRun, PlanRunner } from '../../rollout/simulate/compare.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';

/**
 * From this many simulated hosts, `simulate` runs its plans in worker threads, two at a time
 * (PlanThreads): each thread builds the fleet once and runs plans one after another, so the two
 * cores both work and a plan's memory goes with its run rather than lingering in one heap. A
 * thread costs a second or two of CPU (loading the simulator, warming up, building the fleet),
 * which smaller fleets do not win back (test/bench/RESULTS.md, run G: at 200,000 hosts threads
 * took 1.8x the CPU of one thread). The threshold sits between measurements, not at an optimum.
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

/**
 * Worker threads that each build the fleet once and run the plans they are given, one at a time:
 * as many threads as plans are asked for at once (comparePolicies' `parallel`). Close the pool
 * when done: an idle thread keeps the process alive.
 */
export class PlanThreads {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  constructor(private readonly fleet: FleetRecipe) {}

  readonly runner: PlanRunner = (run) => this.run(run);

  /** Threads started and not yet ended. */
  get size(): number {
    return this.all.size;
  }

  async run(run: PlanRun): Promise<SimulationResult> {
    const worker = this.idle.pop() ?? this.start();
    const result = await runOn(worker, run).catch(async (error: unknown) => {
      // A thread that failed is not asked again.
      this.all.delete(worker);
      await worker.terminate();
      throw error;
    });
    if (this.all.has(worker)) this.idle.push(worker);
    return result;
  }

  /** Ends every thread, busy ones too (a plan still running when another failed): its run then fails. */
  async close(): Promise<void> {
    const threads = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((worker) => worker.terminate()));
  }

  private start(): Worker {
    const worker = new Worker(workerBootstrap(), { eval: true, workerData: this.fleet });
    this.all.add(worker);
    return worker;
  }
}

function runOn(worker: Worker, run: PlanRun): Promise<SimulationResult> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: PlanReply) => {
      done();
      if ('result' in reply) resolve(reply.result);
      else reject(new PlanError(reply.planProblems));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`the worker simulating "${run.name}" (seed ${run.seed}) ended with exit code ${code} before giving a result`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(run);
  });
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

/** One plan in a thread of its own, gone when the plan is done. */
export async function simulateInWorker(job: PlanJob): Promise<SimulationResult> {
  const threads = new PlanThreads(job.fleet);
  try {
    return await threads.run(job.run);
  } finally {
    await threads.close();
  }
}
