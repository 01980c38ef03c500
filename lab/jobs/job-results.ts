import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction } from '../store/postgres-transaction.ts';

/*
 * A job's answer travels through patchlab_job_results: the worker writes it under the job's key,
 * the one who asked takes it (reads and deletes it in one statement). Both hold the key's advisory
 * lock while they look, so an answer is never written after the asker decided there was none and
 * added the job again.
 */

const lockKey = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

/** Stores a job's answer; a second answer for the same key (a retried job) replaces the first. */
export async function putResult(pool: pg.Pool, key: string, owner: string, result: unknown, at: number): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(lockKey, [key]);
    await client.query(
      `INSERT INTO patchlab_job_results (key, owner, result, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET result = excluded.result, at = excluded.at`,
      [key, owner, JSON.stringify(result), at],
    );
  });
}

/** Takes the answer under `key`, or runs `orElse` (adding the job) in the same locked transaction when there is none. */
export async function takeResultOr(pool: pg.Pool, key: string, orElse: (client: pg.PoolClient) => Promise<void>): Promise<unknown> {
  return inTransaction(pool, async (client) => {
    await client.query(lockKey, [key]);
    const { rows } = await client.query<{ result: string }>('DELETE FROM patchlab_job_results WHERE key = $1 RETURNING result', [key]);
    if (rows[0] === undefined) await orElse(client);
    return rows[0] === undefined ? undefined : JSON.parse(rows[0].result);
  });
}

/** Takes the answer under `key` if there is one yet. */
export async function takeResult(pool: pg.Pool, key: string): Promise<unknown> {
  const { rows } = await pool.query<{ result: string }>('DELETE FROM patchlab_job_results WHERE key = $1 RETURNING result', [key]);
  return rows[0] === undefined ? undefined : JSON.parse(rows[0].result);
}

/** A job that failed its last attempt: its error, and the job is removed so that asking again adds it anew. */
export async function takeFailure(pool: pg.Pool, key: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ last_error: string | null }>(
    `DELETE FROM graphile_worker._private_jobs
     WHERE key = $1 AND attempts >= max_attempts AND locked_at IS NULL
     RETURNING last_error`,
    [key],
  );
  return rows[0] === undefined ? undefined : (rows[0].last_error ?? 'the job failed');
}

export interface AskOptions {
  /** What the job does, for its error: "patch of web-01". */
  what: string;
  pollMs?: number;
  /** Stops waiting (the asker is closing). */
  stopped?: () => boolean;
  /**
   * Asked now and then while the job waits: why nobody takes it, if something is known (no live
   * worker on its engine); `say` hears each new reason once.
   */
  whyWaiting?: { check: () => Promise<string | undefined>; say: (why: string) => void; everyMs?: number };
}

/**
 * Adds a job unless its answer is there already (a job added in an earlier transaction may have
 * finished before this asks), then waits for the answer. A job that failed every attempt throws
 * its last error and is removed, so that asking again adds it anew.
 */
export async function askJob(pool: pg.Pool, key: string, add: (client: pg.PoolClient) => Promise<void>, options: AskOptions): Promise<unknown> {
  const ready = await takeResultOr(pool, key, add);
  if (ready !== undefined) return ready;
  const pollMs = options.pollMs ?? 100;
  const why = options.whyWaiting;
  let said: string | undefined;
  let nextLook = Date.now();
  while (!options.stopped?.()) {
    await sleep(pollMs);
    if (why && Date.now() >= nextLook) {
      nextLook = Date.now() + (why.everyMs ?? 5_000);
      const reason = await why.check();
      if (reason !== undefined && reason !== said) why.say(reason);
      said = reason;
    }
    const answer = await takeResult(pool, key);
    if (answer !== undefined) return answer;
    const failure = await takeFailure(pool, key);
    if (failure !== undefined) throw new Error(`${options.what}: every attempt of its job failed: ${failure}`);
  }
  throw new Error(`${options.what}: stopped waiting while its job ran`);
}

export interface NewJob {
  task: string;
  payload: unknown;
  key: string;
  maxAttempts: number;
  /** Capabilities a worker needs to take it. */
  flags?: readonly string[];
  /** Jobs of one named queue run one at a time, in order. */
  queue?: string;
  /** Lower runs first among jobs that wait; 0 by default. */
  priority?: number;
}

/**
 * Adds a job on the given connection, inside whatever transaction it is in. unsafe_dedupe: a job
 * of the same key that waits or runs, even one a worker holds, is left as it is.
 */
export async function addJob(client: pg.ClientBase, job: NewJob): Promise<void> {
  await client.query(
    "SELECT graphile_worker.add_job($1, $2::json, queue_name => $3, max_attempts => $4, job_key => $5, priority => $6, flags => $7, job_key_mode => 'unsafe_dedupe')",
    [job.task, JSON.stringify(job.payload), job.queue ?? null, job.maxAttempts, job.key, job.priority ?? 0, job.flags && job.flags.length > 0 ? [...job.flags] : null],
  );
}
