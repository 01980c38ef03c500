import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { dataDir } from '../config/paths.ts';
import { migrate } from './sqlite-schema.ts';

/** A CLI command run while `serve` holds the write lock waits this long for it rather than fail. */
const BUSY_TIMEOUT_MS = 10_000;

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'patchlab.db');
}

/** The one SQLite file that the rollout, lab-run and schedule stores share, and where it is. */
export interface SqliteDatabase {
  db: Database.Database;
  /** The absolute path, or ':memory:'. */
  location: string;
}

/** Opens (creating it and its directory if need be) the SQLite file; ':memory:' gives a throwaway one. */
export function openSqliteDatabase(path: string = defaultStorePath()): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('foreign_keys = ON');
    // First, so that a database from a newer patchlab is refused before anything about it changes.
    migrate(db, path);
    db.pragma('journal_mode = WAL');
    // FULL fsyncs the WAL at every commit. NORMAL would survive a kill -9 as well (committed
    // transactions sit in the OS's page cache), but a power cut or kernel panic could lose the
    // last ones: a host told to patch whose decision is then gone would be patched twice. A
    // transition happens a few times a second at most, so the fsync costs nothing that matters.
    db.pragma('synchronous = FULL');
    return { db, location: path === ':memory:' ? path : resolve(path) };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The SQLite error code of a failed statement, if it was one. */
export const sqliteCode = (error: unknown): string | undefined => (error instanceof Database.SqliteError ? error.code : undefined);
