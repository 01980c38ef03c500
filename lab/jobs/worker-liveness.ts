import type { WorkerUtils } from 'graphile-worker';
import type pg from 'pg';

/*
 * graphile-worker frees a dead worker's jobs only after four hours. A host step must move on much
 * sooner, so each patchlab worker beats in patchlab_workers, and every worker frees the jobs of
 * those whose beat went stale (forceUnlockWorkers): the queue then gives them to a live one.
 */

/** How often a worker beats. */
export const BEAT_MS = 2_000;
/** A worker silent this long is taken for dead: several missed beats, not one slow one. */
export const STALE_MS = 10_000;

/** `dockerHost`: the engine the worker starts hosts on, as it names it. */
export async function beat(pool: pg.Pool, workerIds: readonly string[], processTag: string, at: number, dockerHost: string | null = null): Promise<void> {
  if (workerIds.length === 0) return;
  await pool.query(
    `INSERT INTO patchlab_workers (worker_id, process, beat_at, docker_host) SELECT unnest($1::text[]), $2, $3, $4
     ON CONFLICT (worker_id) DO UPDATE SET beat_at = excluded.beat_at, docker_host = excluded.docker_host`,
    [workerIds, processTag, at, dockerHost],
  );
}

/** Frees the jobs of workers whose beat is older than `staleMs`, and forgets them; returns their ids. */
export async function freeDeadWorkersJobs(pool: pg.Pool, utils: WorkerUtils, at: number, staleMs = STALE_MS): Promise<string[]> {
  const { rows } = await pool.query<{ worker_id: string }>('SELECT worker_id FROM patchlab_workers WHERE beat_at < $1', [at - staleMs]);
  const dead = rows.map((r) => r.worker_id);
  if (dead.length === 0) return [];
  await utils.forceUnlockWorkers(dead);
  await pool.query('DELETE FROM patchlab_workers WHERE worker_id = ANY($1::text[]) AND beat_at < $2', [dead, at - staleMs]);
  return dead;
}

/** A worker that stops cleanly says so, rather than being mourned ten seconds later. */
export async function leave(pool: pg.Pool, workerIds: readonly string[]): Promise<void> {
  await pool.query('DELETE FROM patchlab_workers WHERE worker_id = ANY($1::text[])', [[...workerIds]]);
}

/** Whether any worker beat within `staleMs`: work then goes to the queue instead of this process. */
export async function workersAlive(pool: pg.Pool, at: number, staleMs = STALE_MS): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM patchlab_workers WHERE beat_at >= $1', [at - staleMs]);
  return (rows[0]?.n ?? 0) > 0;
}

/** The Docker engines of the workers that beat within `staleMs`, each once. */
export async function liveEngines(pool: pg.Pool, at: number, staleMs = STALE_MS): Promise<string[]> {
  const { rows } = await pool.query<{ docker_host: string }>(
    'SELECT DISTINCT docker_host FROM patchlab_workers WHERE beat_at >= $1 AND docker_host IS NOT NULL ORDER BY docker_host',
    [at - staleMs],
  );
  return rows.map((r) => r.docker_host);
}
