import type pg from 'pg';
import { liveEngines, STALE_MS } from '../../../lab/jobs/worker-liveness.ts';
import { openPostgresDatabase } from '../../../lab/store/postgres-database.ts';
import { HOST_STEP_TASK } from './host-steps.ts';

/*
 * A host step goes only to a worker on its host's engine (see engine-routing.ts): while no worker
 * of that engine beats, the step waits in the queue and nothing else says so. This finds those
 * waits for a rollout, for `rollout status`, the API and the rollout page.
 */

/** Steps of a rollout's hosts queued for an engine that no live worker is on. */
export interface WorkerWait {
  engine: string;
  /** When the oldest of them was queued (ms, the database's clock). */
  since: number;
  /** The hosts whose steps wait, by id. */
  hosts: string[];
}

export interface QueuedStep {
  engine: string;
  hostId: string;
  queuedAt: number;
}

/** The waits in queued steps, one per engine with no live worker, oldest first. Pure. */
export function waitsFor(steps: readonly QueuedStep[], live: ReadonlySet<string>): WorkerWait[] {
  const byEngine = new Map<string, WorkerWait>();
  for (const step of steps) {
    if (live.has(step.engine)) continue;
    const wait = byEngine.get(step.engine) ?? { engine: step.engine, since: step.queuedAt, hosts: [] };
    wait.since = Math.min(wait.since, step.queuedAt);
    if (!wait.hosts.includes(step.hostId)) wait.hosts.push(step.hostId);
    byEngine.set(step.engine, wait);
  }
  return [...byEngine.values()].map((w) => ({ ...w, hosts: w.hosts.sort() })).sort((a, b) => a.since - b.since || a.engine.localeCompare(b.engine));
}

/** undefined_table, invalid_schema_name: a database no worker ever used has no queue, so nothing waits. */
const NO_QUEUE = new Set(['42P01', '3F000']);

/**
 * The rollout's host steps waiting for a worker on their engine: a step still to run (waiting, or
 * held by a worker that died), for a host registered on an engine none of the live workers is on.
 */
export async function workerWaits(pool: pg.Pool, rolloutId: string, at: number, staleMs = STALE_MS): Promise<WorkerWait[]> {
  try {
    // The public jobs view leaves the payload out; the payload names the rollout and host.
    const { rows } = await pool.query<{ engine: string; host_id: string; queued_at: string }>(
      `SELECT f.docker_host AS engine, f.host_id, (extract(epoch FROM j.created_at) * 1000)::bigint AS queued_at
       FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       JOIN patchlab_fleet_hosts f ON f.rollout_id = j.payload->>'rolloutId' AND f.host_id = j.payload->>'hostId'
       WHERE t.identifier = $1 AND j.payload->>'rolloutId' = $2 AND (j.locked_at IS NOT NULL OR j.attempts < j.max_attempts)`,
      [HOST_STEP_TASK, rolloutId],
    );
    if (rows.length === 0) return [];
    const live = new Set(await liveEngines(pool, at, staleMs));
    return waitsFor(rows.map((r) => ({ engine: r.engine, hostId: r.host_id, queuedAt: Number(r.queued_at) })), live);
  } catch (error) {
    if (NO_QUEUE.has((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
}

/** "waiting for a worker on engine X since T (hosts a, b)", one line per engine. */
export function workerWaitText(wait: WorkerWait): string {
  return `waiting for a worker on engine ${wait.engine} since ${new Date(wait.since).toISOString()} (${wait.hosts.length} host${wait.hosts.length === 1 ? '' : 's'}: ${wait.hosts.join(', ')})`;
}

/** The same from a database URL (PATCHLAB_DATABASE_URL); none without one, as SQLite has no workers. */
export async function readWorkerWaits(url: string | undefined, rolloutId: string, at: number): Promise<WorkerWait[]> {
  if (url === undefined || url === '') return [];
  const { pool } = await openPostgresDatabase(url);
  try {
    return await workerWaits(pool, rolloutId, at);
  } finally {
    await pool.end();
  }
}

/**
 * For a long-lived reader (serve's page and API): the waits of a rollout from one pool, opened on
 * first use and kept; none without a database URL.
 */
export function workerWaitSource(url: string | undefined): (rolloutId: string, at: number) => Promise<WorkerWait[]> {
  if (url === undefined || url === '') return async () => [];
  let opened: Promise<pg.Pool> | undefined;
  return async (rolloutId, at) => {
    opened ??= openPostgresDatabase(url).then(({ pool }) => pool);
    const pool = await opened.catch((error: unknown) => {
      opened = undefined;
      throw error;
    });
    return workerWaits(pool, rolloutId, at);
  };
}
