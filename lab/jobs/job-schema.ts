import { Logger, runMigrations } from 'graphile-worker';
import type pg from 'pg';
import { inTransaction } from '../store/postgres-transaction.ts';

/*
 * The job queue lives in the same PostgreSQL database as the stores: graphile-worker's own
 * schema (graphile_worker), plus patchlab's four tables beside it. They are created if missing,
 * not migrated with the stores' schema: a database without workers never has them.
 * - patchlab_job_results: what a finished job answered, until the one who asked reads it; its
 *   owner is the rollout or lab run it is for.
 * - patchlab_fleet_hosts: which Docker engine each host of a rollout lives on, and when a worker
 *   started it (a fleet whose rollout was never stored is removed a grace period after that).
 * - patchlab_prepared_files: the bytes of pinned files no mirror has (a `--patch` .deb, fault
 *   packages), by sha256, for workers whose caches did not prepare them.
 * - patchlab_workers: each worker process's heartbeat, so the jobs of a dead one are taken again,
 *   and the Docker engine it starts hosts on, so jobs on that engine's hosts go to it.
 */
const TABLES = `
  CREATE TABLE IF NOT EXISTS patchlab_job_results (
    key text COLLATE "C" PRIMARY KEY,
    owner text COLLATE "C" NOT NULL,
    result text NOT NULL,
    at bigint NOT NULL
  );
  CREATE TABLE IF NOT EXISTS patchlab_fleet_hosts (
    rollout_id text COLLATE "C" NOT NULL,
    host_id text COLLATE "C" NOT NULL,
    docker_host text NOT NULL,
    PRIMARY KEY (rollout_id, host_id)
  );
  CREATE TABLE IF NOT EXISTS patchlab_workers (
    worker_id text COLLATE "C" PRIMARY KEY,
    process text NOT NULL,
    beat_at bigint NOT NULL
  );
  ALTER TABLE patchlab_workers ADD COLUMN IF NOT EXISTS docker_host text;
  ALTER TABLE patchlab_fleet_hosts ADD COLUMN IF NOT EXISTS started_at bigint;
  CREATE TABLE IF NOT EXISTS patchlab_prepared_files (
    sha256 text COLLATE "C" PRIMARY KEY,
    bytes bytea NOT NULL,
    at bigint NOT NULL
  );
`;

/** Brings the queue's schema up to date; safe to run from several processes at once. */
export async function ensureJobSchema(pool: pg.Pool): Promise<void> {
  tolerateConnectionErrors(pool);
  await runMigrations({ pgPool: pool, logger: quietLogger });
  // One process creates the tables at a time: CREATE ... IF NOT EXISTS can still race on the catalog.
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [JOB_SCHEMA_LOCK]);
    await client.query(TABLES);
  });
}

/** Its own advisory lock key, apart from the stores' migration lock. */
const JOB_SCHEMA_LOCK = 0x706c_6a6f_6273n.toString(); // "pljobs"

/** graphile-worker logs every job at info; patchlab reports its own progress, and keeps warnings and errors. */
export const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

/**
 * graphile-worker keeps a connection checked out to LISTEN; an error on it (a server restart)
 * must not end the process. The queue reconnects by itself.
 */
export function tolerateConnectionErrors(pool: pg.Pool): pg.Pool {
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
