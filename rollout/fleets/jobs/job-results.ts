import type pg from 'pg';

/*
 * A job's answer travels through patchlab_job_results: the worker writes it under the job's key,
 * the one who asked takes it (reads and deletes it in one statement). Both hold the key's advisory
 * lock while they look, so an answer is never written after the asker decided there was none and
 * added the job again.
 */

const lockKey = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

/** Stores a job's answer; a second answer for the same key (a retried job) replaces the first. */
export async function putResult(pool: pg.Pool, key: string, rolloutId: string, result: unknown, at: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(lockKey, [key]);
    await client.query(
      `INSERT INTO patchlab_job_results (key, rollout_id, result, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET result = excluded.result, at = excluded.at`,
      [key, rolloutId, JSON.stringify(result), at],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Takes the answer under `key`, or runs `orElse` (adding the job) in the same locked transaction when there is none. */
export async function takeResultOr(pool: pg.Pool, key: string, orElse: (client: pg.PoolClient) => Promise<void>): Promise<unknown> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(lockKey, [key]);
    const { rows } = await client.query<{ result: string }>('DELETE FROM patchlab_job_results WHERE key = $1 RETURNING result', [key]);
    if (rows[0] === undefined) await orElse(client);
    await client.query('COMMIT');
    return rows[0] === undefined ? undefined : JSON.parse(rows[0].result);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
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
