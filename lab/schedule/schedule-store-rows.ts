import { strictJson } from '../store/json.ts';
import { StoreError } from '../store/store-error.ts';
import type { ScheduleRunRecord, StoredScheduleRecord } from './schedule-store.ts';
import type { ScheduleSpec } from './spec.ts';

/*
 * The rows every schedule store keeps, whatever database holds them: the schedule and each run
 * are kept whole as JSON, with the columns that order and filter them copied out.
 */

export interface ScheduleRow {
  name: string;
  added_at: number;
  spec: string;
}

export interface ScheduleRunRow {
  schedule: string;
  started_at: number;
  slot_at: number | null;
  finished_at: number;
  result: string;
}

export const scheduleRow = ({ spec, addedAt }: StoredScheduleRecord): ScheduleRow => ({ name: spec.name, added_at: addedAt, spec: strictJson(spec, `schedule ${spec.name}`) });

export const storedSchedule = (row: Omit<ScheduleRow, 'name'>): StoredScheduleRecord => ({ addedAt: row.added_at, spec: JSON.parse(row.spec) as ScheduleSpec });

export const scheduleRunRow = (run: ScheduleRunRecord): ScheduleRunRow => ({
  schedule: run.schedule,
  started_at: run.startedAt,
  slot_at: run.slotAt,
  finished_at: run.finishedAt,
  result: strictJson(run, `run of schedule ${run.schedule}`),
});

export const scheduleRun = (row: Pick<ScheduleRunRow, 'result'>): ScheduleRunRecord => JSON.parse(row.result) as ScheduleRunRecord;

export const scheduleDuplicate = (name: string) => new StoreError('duplicate', `a schedule named ${name} exists already`);

export const scheduleNotFound = (name: string) => new StoreError('not-found', `no schedule named ${name}`);
