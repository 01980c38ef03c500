import type Database from 'better-sqlite3';
import { sqliteCode } from '../store/sqlite-database.ts';
import type { ScheduleRunRecord, ScheduleStore, StoredScheduleRecord } from './schedule-store.ts';
import {
  scheduleDuplicate,
  scheduleNotFound,
  scheduleRow,
  scheduleRun,
  scheduleRunRow,
  storedSchedule,
  type ScheduleRow,
  type ScheduleRunRow,
} from './schedule-store-rows.ts';

export class SqliteScheduleStore implements ScheduleStore {
  private readonly insertSchedule;
  private readonly selectSchedules;
  private readonly deleteSchedule;
  private readonly insertScheduleRun;
  private readonly selectScheduleRuns;
  private readonly insertClaim;

  constructor(db: Database.Database) {
    this.insertSchedule = db.prepare<ScheduleRow>('INSERT INTO schedules (name, added_at, spec) VALUES (@name, @added_at, @spec)');
    this.selectSchedules = db.prepare<[], Omit<ScheduleRow, 'name'>>('SELECT added_at, spec FROM schedules ORDER BY name');
    this.deleteSchedule = db.prepare<[string]>('DELETE FROM schedules WHERE name = ?');
    this.insertScheduleRun = db.prepare<ScheduleRunRow>(
      'INSERT INTO schedule_runs (schedule, started_at, slot_at, finished_at, result) VALUES (@schedule, @started_at, @slot_at, @finished_at, @result)',
    );
    this.selectScheduleRuns = db.prepare<[string | null, string | null], { result: string }>(
      'SELECT result FROM schedule_runs WHERE (? IS NULL OR schedule = ?) ORDER BY started_at, rowid',
    );
    this.insertClaim = db.prepare<[string, number, string, number]>(
      'INSERT INTO schedule_claims (schedule, slot_at, claimed_by, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (schedule, slot_at) DO NOTHING',
    );
  }

  async claimScheduleSlot(schedule: string, slotAt: number, claimedBy: string, at: number): Promise<boolean> {
    try {
      return this.insertClaim.run(schedule, slotAt, claimedBy, at).changes === 1;
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw scheduleNotFound(schedule);
      throw error;
    }
  }

  async addSchedule(schedule: StoredScheduleRecord): Promise<void> {
    try {
      this.insertSchedule.run(scheduleRow(schedule));
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw scheduleDuplicate(schedule.spec.name);
      throw error;
    }
  }

  async listSchedules(): Promise<StoredScheduleRecord[]> {
    return this.selectSchedules.all().map(storedSchedule);
  }

  async removeSchedule(name: string): Promise<void> {
    if (this.deleteSchedule.run(name).changes === 0) throw scheduleNotFound(name);
  }

  async recordScheduleRun(run: ScheduleRunRecord): Promise<void> {
    try {
      this.insertScheduleRun.run(scheduleRunRow(run));
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw scheduleNotFound(run.schedule);
      throw error;
    }
  }

  async scheduleRuns({ schedule }: { schedule?: string } = {}): Promise<ScheduleRunRecord[]> {
    const name = schedule ?? null;
    return this.selectScheduleRuns.all(name, name).map(scheduleRun);
  }
}
