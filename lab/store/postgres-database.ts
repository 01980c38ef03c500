import pg from 'pg';
import { migrate } from './postgres-schema.ts';
import { StoreError } from './store-error.ts';

/*
 * The PostgreSQL database that the rollout, lab-run and schedule stores share when several lab
 * workers (or a `serve` and its CLI on other machines) keep state together. The URL is the
 * user's; its password never goes into a message, a log or the store's location.
 */

export interface PostgresDatabase {
  pool: pg.Pool;
  /** The URL without its password: names the database in messages and tells one store's fleets from another's. */
  location: string;
}

const URL_FORMS = 'postgresql://USER@HOST:PORT/DATABASE, or postgresql:///DATABASE?host=/socket/folder for a Unix socket';

/**
 * The URL with its password taken out (from the user part and from a `password` parameter),
 * checked to be a PostgreSQL one. Anything else is refused without a word of it repeated: it may
 * hold a password (`bob:s3cret@db` parses as a URL of the protocol `bob:`).
 */
export function describeDatabaseUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Refused below.
  }
  if (parsed?.protocol !== 'postgres:' && parsed?.protocol !== 'postgresql:') {
    throw new Error(`PATCHLAB_DATABASE_URL is not a postgres:// or postgresql:// URL; expected ${URL_FORMS}`);
  }
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) if (/pass/i.test(name)) parsed.searchParams.delete(name);
  return parsed.href;
}

/*
 * int8 columns hold millisecond times and row ids, both far below 2^53, so they are read as
 * numbers, as SQLite gives them (pg would give strings). Per pool, not pg's global parsers, so
 * nothing else in the process that uses pg is changed.
 */
const int8AsNumber: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Connects to the database and brings its schema up to date; a database from a newer patchlab is refused ('newer-schema'). */
export async function openPostgresDatabase(url: string): Promise<PostgresDatabase> {
  const location = describeDatabaseUrl(url);
  const pool = new pg.Pool({ connectionString: url, types: int8AsNumber, application_name: 'patchlab' });
  // An idle connection the server closed (a restart, an administrator): the pool drops it and the
  // next query opens another. Without a listener the event would end the process.
  pool.on('error', () => undefined);
  try {
    await migrate(pool, location);
    return { pool, location };
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw new Error(`PostgreSQL database ${location}: ${(error as Error).message}`, { cause: error });
  }
}
