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

/**
 * The engines workers started a rollout's hosts on; none when the database never had workers.
 * For a coordinator that found no live worker: such a fleet is out of its reach.
 */
export async function workerEnginesOf(url: string, rolloutId: string): Promise<string[]> {
  const { pool } = await openPostgresDatabase(url);
  try {
    const { rows } = await pool.query<{ docker_host: string }>('SELECT DISTINCT docker_host FROM patchlab_fleet_hosts WHERE rollout_id = $1 ORDER BY docker_host', [rolloutId]);
    return rows.map((r) => r.docker_host);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return []; // undefined_table: no worker ever used this database
    throw error;
  } finally {
    await pool.end();
  }
}
