import pg from 'pg';

/** The SQLSTATE codes the stores turn into refusals the caller can act on. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

/*
 * patchlab's advisory locks. The one-key form (a bigint) and the two-key form (two ints) are
 * separate spaces in PostgreSQL, so the migration lock never meets an observation lock.
 */
/** Held while the schema is migrated: of two processes starting at once, one migrates, the other then finds it done. */
export const MIGRATION_LOCK = 0x7061_7463_686c_6162n; // "patchlab"
/** First key of the per-rollout lock that observation writers take; the second is a hash of the rollout's id. */
export const OBSERVATION_LOCK_SPACE = 0x706c_6f62; // "plob"
/** The same for health sample writers, so a reader of newer samples by id misses none (see recordObservations). */
export const HEALTH_SAMPLE_LOCK_SPACE = 0x706c_6873; // "plhs"

/** The SQLSTATE of a failed statement, if it was one. */
export const pgCode = (error: unknown): string | undefined => (error instanceof pg.DatabaseError ? error.code : undefined);

/**
 * Runs `work` in one transaction on one connection: committed if it returns, rolled back if it
 * throws. A connection whose rollback failed is discarded rather than given back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A LIMIT parameter: null (no limit) for none or a negative one, as SQLite reads LIMIT -1. */
export const sqlLimit = (limit: number | undefined): number | null => (limit !== undefined && limit >= 0 ? limit : null);
