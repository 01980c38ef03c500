import type pg from 'pg';
import { pgCode, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION } from '../store/postgres-transaction.ts';
import type { ScheduleRunRecord, ScheduleStore, StoredScheduleRecord } from './schedule-store.ts';
import {
  scheduleDuplicate,
  scheduleNotFound,
  scheduleRow,
  scheduleRun,
  scheduleRunRow,
  storedSchedule,
  type ScheduleRow,
} from './schedule-store-rows.ts';

export class PostgresScheduleStore implements ScheduleStore {
  constructor(private readonly pool: pg.Pool) {}

  async addSchedule(schedule: StoredScheduleRecord): Promise<void> {
    const row = scheduleRow(schedule);
    try {
      await this.pool.query('INSERT INTO schedules (name, added_at, spec) VALUES ($1, $2, $3)', [row.name, row.added_at, row.spec]);
    } catch (error) {
      if (pgCode(error) === PG_UNIQUE_VIOLATION) throw scheduleDuplicate(row.name);
      throw error;
    }
  }

  async listSchedules(): Promise<StoredScheduleRecord[]> {
    const { rows } = await this.pool.query<Omit<ScheduleRow, 'name'>>('SELECT added_at, spec FROM schedules ORDER BY name');
    return rows.map(storedSchedule);
  }

  async removeSchedule(name: string): Promise<void> {
    const { rowCount } = await this.pool.query('DELETE FROM schedules WHERE name = $1', [name]);
    if (rowCount === 0) throw scheduleNotFound(name);
  }

  async recordScheduleRun(run: ScheduleRunRecord): Promise<void> {
    const row = scheduleRunRow(run);
    try {
      await this.pool.query('INSERT INTO schedule_runs (schedule, started_at, slot_at, finished_at, result) VALUES ($1, $2, $3, $4, $5)', [
        row.schedule,
        row.started_at,
        row.slot_at,
        row.finished_at,
        row.result,
      ]);
    } catch (error) {
      if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw scheduleNotFound(run.schedule);
      throw error;
    }
  }

  async scheduleRuns({ schedule }: { schedule?: string } = {}): Promise<ScheduleRunRecord[]> {
    const { rows } = await this.pool.query<{ result: string }>('SELECT result FROM schedule_runs WHERE $1::text IS NULL OR schedule = $1 ORDER BY started_at, id', [
      schedule ?? null,
    ]);
    return rows.map(scheduleRun);
  }

  async claimScheduleSlot(schedule: string, slotAt: number, claimedBy: string, at: number): Promise<boolean> {
    return insertScheduleClaim(this.pool, schedule, slotAt, claimedBy, at);
  }
}

/**
 * The claim itself, on a pool or on a connection inside a caller's transaction (so a scheduled
 * run's job can commit with its claim): true for the first claimant of the slot.
 */
export async function insertScheduleClaim(db: pg.Pool | pg.ClientBase, schedule: string, slotAt: number, claimedBy: string, at: number): Promise<boolean> {
  try {
    const { rowCount } = await db.query(
      'INSERT INTO schedule_claims (schedule, slot_at, claimed_by, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (schedule, slot_at) DO NOTHING',
      [schedule, slotAt, claimedBy, at],
    );
    return rowCount === 1;
  } catch (error) {
    if (pgCode(error) === PG_FOREIGN_KEY_VIOLATION) throw scheduleNotFound(schedule);
    throw error;
  }
}
