import type { CheckStatus } from '../checks/types.ts';
import type { Verdict } from '../run/verdict.ts';
import type { ScheduledBisect } from './schedule-bisect.ts';
import type { ScheduleSpec } from './spec.ts';

export interface PackageVersion {
  name: string;
  version: string;
}

export interface StoredScheduleRecord {
  spec: ScheduleSpec;
  addedAt: number;
}

/** One image's part of a scheduled run. */
export interface ScheduledImageResult {
  image: string;
  /** The lab run's id (its report is in the lab runs); absent when the lab could not even start. */
  runId?: string;
  verdict: Verdict;
  /** Pending updates found, as name=version, and which of them were not pending at the schedule's previous run. */
  upgradable: string[];
  newlyUpgradable: string[];
  /** What the run installed, and the patched host's check results. */
  patches: PackageVersion[];
  checks: { id: string; name: string; status: CheckStatus }[];
  error?: string;
  /** The bisection of a failing run, when the scheduled run did one. */
  bisect?: ScheduledBisect;
}

export interface ScheduleRunRecord {
  schedule: string;
  startedAt: number;
  /** The slot it ran for; null for `schedule run-now`. */
  slotAt: number | null;
  /** More than one slot had passed (the server was down): this run stood for all of them. */
  coalesced: boolean;
  finishedAt: number;
  images: ScheduledImageResult[];
  /** The failure webhook's answer, when one was called. */
  webhook?: { status?: number; error?: string };
}

/** Where schedules and the record of their runs are kept. */
export interface ScheduleStore {
  /** Refuses a name already taken ('duplicate'). */
  addSchedule(schedule: StoredScheduleRecord): Promise<void>;
  /** By name. */
  listSchedules(): Promise<StoredScheduleRecord[]>;
  /** Its runs go with it; refuses an unknown name ('not-found'). */
  removeSchedule(name: string): Promise<void>;
  recordScheduleRun(run: ScheduleRunRecord): Promise<void>;
  /** Oldest first. */
  scheduleRuns(filter?: { schedule?: string }): Promise<ScheduleRunRecord[]>;
  /**
   * Takes a schedule's slot for one runner: true for the first to ask, false for every other,
   * however many `serve` processes share the database, so a slot runs once. Refuses an unknown
   * schedule ('not-found').
   */
  claimScheduleSlot(schedule: string, slotAt: number, claimedBy: string, at: number): Promise<boolean>;
}
