import type pg from 'pg';
import { openPostgresDatabase } from '../../../lab/store/postgres-database.ts';
import { DATABASE_URL_VARIABLE, openConfiguredStore } from '../../store/open-store.ts';
import type { Store } from '../../store/store.ts';
import { ensureJobSchema } from '../../../lab/jobs/job-schema.ts';

export interface JobDatabase {
  /** The stores, with every patch or rollback decision adding its host steps in its own transaction. */
  store: Store;
  /** For the queue and its answers. */
  pool: pg.Pool;
  close(): Promise<void>;
}

/** A coordinator's view of a PostgreSQL database with workers: the stores and the job queue. */
export async function openJobDatabase(url: string): Promise<JobDatabase> {
  const { pool } = await openPostgresDatabase(url);
  try {
    await ensureJobSchema(pool);
    const store = await openConfiguredStore({ [DATABASE_URL_VARIABLE]: url });
    return { store, pool, close: async () => void (await Promise.all([store.close(), pool.end()])) };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
