import type pg from 'pg';
import type { Hold } from '../holds/holds.ts';
import type { PackageCache } from '../patches/cache.ts';
import type { Progress } from '../progress.ts';
import { insertScheduleClaim } from '../schedule/postgres-schedule-store.ts';
import { runScheduleAndReport, type ReportedRunOptions } from '../schedule/reported-run.ts';
import type { DueRun } from '../schedule/due.ts';
import { inTransaction } from '../store/postgres-transaction.ts';
import { addJob } from './job-results.ts';

export const SCHEDULED_RUN_TASK = 'scheduled-run';

/** What the coordinator decided when it claimed the slot; the spec itself is read from the store when the job runs. */
export interface ScheduledRunPayload {
  schedule: string;
  slotAt: number;
  coalesced: boolean;
  /** The holds in force on the coordinator (its store's and its project's), as `serve` would run with them. */
  holds: Hold[];
  bisectMaxRuns: number;
}

/** A worker that dies mid-run leaves nothing recorded for the slot; the run starts again from scratch. */
const SCHEDULED_RUN_ATTEMPTS = 3;

export const scheduledRunKey = (schedule: string, slotAt: number): string => `${SCHEDULED_RUN_TASK}/${schedule}/${slotAt}`;

/**
 * Claims a due slot and adds its run's job on the given connection, inside the caller's
 * transaction: both commit or neither, so no crash can leave a claimed slot without its run.
 * False when another serve claimed the slot first (no job is added).
 */
export async function claimSlotWithJobOn(client: pg.ClientBase, payload: ScheduledRunPayload, claimedBy: string, at: number): Promise<boolean> {
  if (!(await insertScheduleClaim(client, payload.schedule, payload.slotAt, claimedBy, at))) return false;
  await addJob(client, { task: SCHEDULED_RUN_TASK, payload, key: scheduledRunKey(payload.schedule, payload.slotAt), maxAttempts: SCHEDULED_RUN_ATTEMPTS });
  return true;
}

/** The same in a transaction of its own. */
export async function claimSlotWithJob(pool: pg.Pool, payload: ScheduledRunPayload, claimedBy: string, at: number): Promise<boolean> {
  return inTransaction(pool, (client) => claimSlotWithJobOn(client, payload, claimedBy, at));
}

/** The payload of a due slot. Pure. */
export const scheduledRunPayload = (due: DueRun, holds: readonly Hold[], bisectMaxRuns: number): ScheduledRunPayload => ({
  schedule: due.name,
  slotAt: due.slotAt,
  coalesced: due.coalesced,
  holds: [...holds],
  bisectMaxRuns,
});

export interface ScheduledRunContext {
  store: ReportedRunOptions['store'];
  cache: PackageCache;
  progress: Progress;
  notify: ReportedRunOptions['notify'];
  /** The lab on one image; this worker's own lab by default. */
  lab?: ReportedRunOptions['lab'];
}

/**
 * A worker's side: the scheduled run, its lab runs on this worker's engine and cache. A retry
 * after the run was recorded (the worker died after recording it) runs nothing again, and a
 * schedule removed since its slot was claimed has nothing to run.
 */
export function scheduledRunTask(context: ScheduledRunContext) {
  return async (payload: ScheduledRunPayload): Promise<void> => {
    const stored = (await context.store.listSchedules()).find((s) => s.spec.name === payload.schedule);
    if (!stored) {
      context.progress(`schedule ${payload.schedule}: removed since its slot was claimed; nothing to run`);
      return;
    }
    const runs = await context.store.scheduleRuns({ schedule: payload.schedule });
    if (runs.some((r) => r.slotAt === payload.slotAt)) return;
    context.progress(`schedule ${payload.schedule}: running for ${new Date(payload.slotAt).toISOString()}`);
    await runScheduleAndReport(stored.spec, {
      store: context.store,
      holds: payload.holds,
      slotAt: payload.slotAt,
      coalesced: payload.coalesced,
      cache: context.cache,
      bisectMaxRuns: payload.bisectMaxRuns,
      progress: context.progress,
      notify: context.notify,
      ...(context.lab ? { lab: context.lab } : {}),
    });
  };
}
