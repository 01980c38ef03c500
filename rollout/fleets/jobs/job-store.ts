import type pg from 'pg';
import { openPostgresDatabase } from '../../../lab/store/postgres-database.ts';
import { openPostgresStore } from '../../store/postgres-store.ts';
import type { Store } from '../../store/store.ts';
import { addStepsOfTransition } from './host-steps.ts';
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
    const store = await openPostgresStore(url, { withinTransition: addStepsOfTransition });
    return { store, pool, close: async () => void (await Promise.all([store.close(), pool.end()])) };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/** Where each host of a rollout lives, for the workers that take its steps. */
export async function registerFleetHosts(pool: pg.Pool, rolloutId: string, hosts: readonly { hostId: string; dockerHost: string }[]): Promise<void> {
  for (const h of hosts) {
    await pool.query(
      `INSERT INTO patchlab_fleet_hosts (rollout_id, host_id, docker_host) VALUES ($1, $2, $3)
       ON CONFLICT (rollout_id, host_id) DO UPDATE SET docker_host = excluded.docker_host`,
      [rolloutId, h.hostId, h.dockerHost],
    );
  }
}
