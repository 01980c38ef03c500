import type pg from 'pg';
import { InputError } from '../config/validation.ts';
import type { PackageCache } from '../patches/cache.ts';
import type { Progress } from '../progress.ts';
import type { LabReport } from '../run/report.ts';
import { newRunId } from '../run/run-id.ts';
import { runLabOnImage, type ImageLabRun } from '../run/run-image.ts';
import type { LabRunStore } from '../store/lab-run-store.ts';
import { addJob, askJob, putResult } from './job-results.ts';

export const LAB_RUN_TASK = 'lab-run';

/** A lab run as a job carries only plain data: the worker has its own cache, engine and progress. */
export type LabRunRequest = Omit<ImageLabRun, 'cache' | 'progress' | 'runId'>;

export interface LabRunPayload {
  runId: string;
  key: string;
  run: LabRunRequest;
}

/** A worker that dies mid-run leaves hosts its engine's reaper removes; the run is started again from scratch. */
const LAB_RUN_ATTEMPTS = 3;

/** What a worker must offer to take the run: VM twins need qemu. */
export const labRunFlags = (run: LabRunRequest): string[] => (run.host === 'vm' ? ['qemu'] : []);

/**
 * Runs the lab on a worker instead of here: the run is a job, a worker does it with its own
 * Docker engine and package cache and keeps the report in the shared store, where this reads it.
 */
export async function runLabOnWorker(pool: pg.Pool, store: LabRunStore, run: LabRunRequest, progress: Progress): Promise<LabReport> {
  const runId = newRunId('lab');
  const key = `${LAB_RUN_TASK}/${runId}`;
  const payload: LabRunPayload = { runId, key, run };
  progress(`run ${runId}: on image ${run.image}, as a job for a worker`);
  const answer = (await askJob(pool, key, (client) => addJob(client, { task: LAB_RUN_TASK, payload, key, maxAttempts: LAB_RUN_ATTEMPTS, flags: labRunFlags(run) }), {
    what: `lab run ${runId} on ${run.image}`,
    pollMs: 500,
  })) as { runId: string; error?: string };
  if (answer.error) throw new Error(`lab run ${runId} on ${run.image}: ${answer.error}`);
  const report = await store.loadLabRun(runId);
  if (!report) throw new Error(`lab run ${runId}: the worker finished it, but its report is not in the store`);
  return report;
}

/**
 * A worker's side: the same lab run as `lab run` does here, its report kept in the store. A run
 * that cannot start (an unknown image, a malformed check file) is an answer, not a retry: it
 * would fail the same way on every worker.
 */
export function labRunTask(context: { pool: pg.Pool; store: LabRunStore; progress: Progress; cache?: PackageCache; now?: () => number }) {
  const now = context.now ?? Date.now;
  return async (payload: LabRunPayload): Promise<void> => {
    let answer: { runId: string; error?: string };
    try {
      const report = await runLabOnImage({ ...payload.run, runId: payload.runId, progress: context.progress, ...(context.cache ? { cache: context.cache } : {}) });
      await context.store.saveLabRun(report);
      answer = { runId: payload.runId };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      answer = { runId: payload.runId, error: (error as Error).message };
    }
    await putResult(context.pool, payload.key, payload.runId, answer, now());
  };
}
