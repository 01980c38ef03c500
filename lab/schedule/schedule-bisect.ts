import { join } from 'node:path';
import { dataDir } from '../config/paths.ts';
import type { BisectStore } from '../bisect/bisect-store.ts';
import { bisectRun, type LabBisectReport } from '../bisect/lab-bisect.ts';
import { silent, type Progress } from '../progress.ts';
import type { LabReport } from '../run/report.ts';
import { newRunId } from '../run/run-id.ts';
import type { LabRunStore } from '../store/lab-run-store.ts';

/** What a scheduled run keeps of the bisection of an image that failed; the whole one is in the bisect store. */
export interface ScheduledBisect {
  bisectId: string;
  status: LabBisectReport['status'];
  culprits: { items: string[]; breaks: string[]; runId: string }[];
  /** apt-mark hold these; leave out these .debs. */
  hold: string[];
  leaveOut: string[];
  testsRun: number;
  /** The run that proves the rest of the patch passes. */
  restRunId?: string;
  /** Why it stopped, when it did. */
  error?: string;
}

export const DEFAULT_BISECT_MAX_RUNS = 6;

/**
 * How many lab runs a scheduled run may spend bisecting a failure: PATCHLAB_BISECT_MAX_RUNS, 0 to
 * never bisect. Six covers one culprit among 16 source packages (ceil(log2 16) + 2).
 */
export function bisectMaxRunsFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PATCHLAB_BISECT_MAX_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_BISECT_MAX_RUNS;
  if (!/^\d{1,3}$/.test(raw)) throw new Error(`PATCHLAB_BISECT_MAX_RUNS: expected a whole number of lab runs from 0 (never bisect) to 999, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * Bisects a scheduled run's failing lab run with the same lab (same image, holds and lists), each
 * subset's run kept with the lab runs and the bisection saved at every step for the page. Never
 * throws: a bisection that cannot start or stops says why in what it returns.
 */
export async function bisectScheduledFailure(options: {
  report: LabReport;
  store: BisectStore & LabRunStore;
  lab: (image: string, patch: string[]) => Promise<LabReport>;
  maxLabRuns: number;
  progress?: Progress;
  now?: () => number;
}): Promise<ScheduledBisect> {
  const { report, store } = options;
  const bisectId = newRunId('bisect');
  try {
    const bisect = await bisectRun({
      bisectId,
      report,
      dir: join(dataDir(), 'runs', bisectId),
      maxLabRuns: options.maxLabRuns,
      runSubset: async (patch) => {
        const run = await options.lab(report.image.name, patch);
        await store.saveLabRun(run);
        return run;
      },
      onUpdate: (snapshot) => store.saveBisect(snapshot),
      progress: options.progress ?? silent,
      ...(options.now ? { now: options.now } : {}),
    });
    return scheduledBisectOf(bisect);
  } catch (error) {
    const message = (error as Error).message;
    let stored = await store.loadBisect(bisectId).catch(() => undefined);
    if (!stored) {
      // It could not even start (a .deb of the run is gone): stored all the same, so its link says why.
      const at = new Date((options.now ?? Date.now)()).toISOString();
      stored = { bisectId, runId: report.runId, image: report.image.name, status: 'stopped', startedAt: at, finishedAt: at, error: message, items: [], culprits: [], hold: [], leaveOut: [], rest: { items: [], patch: [] }, testsRun: 0, waves: 0, steps: [] };
      await store.saveBisect(stored).catch(() => undefined);
    }
    return { ...scheduledBisectOf(stored), error: message };
  }
}

export function scheduledBisectOf(bisect: LabBisectReport): ScheduledBisect {
  return {
    bisectId: bisect.bisectId,
    status: bisect.status,
    culprits: bisect.culprits.map((c) => ({ items: c.items.map((i) => i.label), breaks: c.breaks, runId: c.runId })),
    hold: bisect.hold,
    leaveOut: bisect.leaveOut,
    testsRun: bisect.testsRun,
    ...(bisect.rest.runId ? { restRunId: bisect.rest.runId } : {}),
    ...(bisect.error ? { error: bisect.error } : {}),
  };
}
