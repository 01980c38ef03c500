import type pg from 'pg';
import { openPostgresDatabase } from '../store/postgres-database.ts';
import { ensureJobSchema } from './job-schema.ts';
import { workersAlive } from './worker-liveness.ts';

export interface WorkQueue {
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * The queue to hand work to, when the store is PostgreSQL (`url`) and a worker beat lately;
 * undefined otherwise, and the work runs in this process as with SQLite.
 */
export async function openWorkQueue(url: string | undefined, now: () => number = Date.now): Promise<WorkQueue | undefined> {
  if (url === undefined || url === '') return undefined;
  const { pool } = await openPostgresDatabase(url);
  try {
    await ensureJobSchema(pool);
    if (await workersAlive(pool, now())) return { pool, close: () => pool.end() };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  await pool.end();
  return undefined;
}
