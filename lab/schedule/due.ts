import { nextPatchTuesdayRun } from './patch-tuesday.ts';
import { cronJob, type ScheduleSpec, type ScheduleTiming } from './spec.ts';

/**
 * The first run strictly after `afterMs`. Null only when a cron expression can never match again;
 * cron follows croner's DST rules, which for a fixed time of day are the Patch Tuesday ones: a
 * skipped time runs when the gap ends, a repeated time runs once, the first time. Interval
 * patterns (every 15 minutes) skip the times in a gap and run in both copies of a repeated hour.
 */
export function nextRunAt(timing: ScheduleTiming, afterMs: number): number | null {
  if (timing.kind === 'patch-tuesday') return nextPatchTuesdayRun(timing, afterMs);
  return cronJob(timing.expression, timing.timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
}

export interface StoredSchedule {
  spec: ScheduleSpec;
  /** When it was added: a schedule that never ran waits for its first slot after this, not before. */
  addedAt: number;
}

export interface DueRun {
  name: string;
  /** The earliest slot not yet run. */
  slotAt: number;
  /** More than one slot passed since the last run (the server was down): they run once, as this one. */
  coalesced: boolean;
}

/**
 * Which schedules run at `nowMs`. A schedule is due when its first slot after its last run (or,
 * never run, after it was added) has come. However many slots passed, it runs once: the caller
 * records `nowMs` as its last run, and the next slot is then in the future.
 */
export function dueRuns(schedules: readonly StoredSchedule[], lastRunAt: ReadonlyMap<string, number>, nowMs: number): DueRun[] {
  const names = new Set<string>();
  const due: DueRun[] = [];
  for (const { spec, addedAt } of schedules) {
    if (names.has(spec.name)) throw new Error(`schedule names must be unique: ${JSON.stringify(spec.name)} appears twice`);
    names.add(spec.name);
    const slotAt = nextRunAt(spec, lastRunAt.get(spec.name) ?? addedAt);
    if (slotAt === null || slotAt > nowMs) continue;
    const following = nextRunAt(spec, slotAt);
    due.push({ name: spec.name, slotAt, coalesced: following !== null && following <= nowMs });
  }
  return due.sort((a, b) => a.slotAt - b.slotAt || a.name.localeCompare(b.name));
}

/** When the serve loop next has work: the earliest slot of any schedule, or null if none has one. */
export function nextWakeAt(schedules: readonly StoredSchedule[], lastRunAt: ReadonlyMap<string, number>): number | null {
  let earliest: number | null = null;
  for (const { spec, addedAt } of schedules) {
    const slotAt = nextRunAt(spec, lastRunAt.get(spec.name) ?? addedAt);
    if (slotAt !== null && (earliest === null || slotAt < earliest)) earliest = slotAt;
  }
  return earliest;
}
