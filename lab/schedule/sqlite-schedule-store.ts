import type Database from 'better-sqlite3';
import { strictJson } from '../store/json.ts';
import { sqliteCode } from '../store/sqlite-database.ts';
import { StoreError } from '../store/store-error.ts';
import type { ScheduleRunRecord, ScheduleStore, StoredScheduleRecord } from './schedule-store.ts';
import type { ScheduleSpec } from './spec.ts';

export class SqliteScheduleStore implements ScheduleStore {
  private readonly insertSchedule;
  private readonly selectSchedules;
  private readonly deleteSchedule;
  private readonly insertScheduleRun;
  private readonly selectScheduleRuns;

  constructor(db: Database.Database) {
    this.insertSchedule = db.prepare<{ name: string; added_at: number; spec: string }>('INSERT INTO schedules (name, added_at, spec) VALUES (@name, @added_at, @spec)');
    this.selectSchedules = db.prepare<[], { added_at: number; spec: string }>('SELECT added_at, spec FROM schedules ORDER BY name');
    this.deleteSchedule = db.prepare<[string]>('DELETE FROM schedules WHERE name = ?');
    this.insertScheduleRun = db.prepare<{ schedule: string; started_at: number; slot_at: number | null; finished_at: number; result: string }>(
      'INSERT INTO schedule_runs (schedule, started_at, slot_at, finished_at, result) VALUES (@schedule, @started_at, @slot_at, @finished_at, @result)',
    );
    this.selectScheduleRuns = db.prepare<[string | null, string | null], { result: string }>(
      'SELECT result FROM schedule_runs WHERE (? IS NULL OR schedule = ?) ORDER BY started_at, rowid',
    );
  }

  async addSchedule({ spec, addedAt }: StoredScheduleRecord): Promise<void> {
    try {
      this.insertSchedule.run({ name: spec.name, added_at: addedAt, spec: strictJson(spec, `schedule ${spec.name}`) });
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new StoreError('duplicate', `a schedule named ${spec.name} exists already`);
      throw error;
    }
  }

  async listSchedules(): Promise<StoredScheduleRecord[]> {
    return this.selectSchedules.all().map((row) => ({ addedAt: row.added_at, spec: JSON.parse(row.spec) as ScheduleSpec }));
  }

  async removeSchedule(name: string): Promise<void> {
    if (this.deleteSchedule.run(name).changes === 0) throw new StoreError('not-found', `no schedule named ${name}`);
  }

  async recordScheduleRun(run: ScheduleRunRecord): Promise<void> {
    try {
      this.insertScheduleRun.run({
        schedule: run.schedule,
        started_at: run.startedAt,
        slot_at: run.slotAt,
        finished_at: run.finishedAt,
        result: strictJson(run, `run of schedule ${run.schedule}`),
      });
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new StoreError('not-found', `no schedule named ${run.schedule}`);
      throw error;
    }
  }

  async scheduleRuns({ schedule }: { schedule?: string } = {}): Promise<ScheduleRunRecord[]> {
    const name = schedule ?? null;
    return this.selectScheduleRuns.all(name, name).map((row) => JSON.parse(row.result) as ScheduleRunRecord);
  }
}
