import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type pg from 'pg';
import { durationFromEnv } from '../config/duration.ts';
import { sha256 } from '../images/hash.ts';
import { archiveDebs } from '../patches/cache-fill.ts';
import { localPathOf, type Pins } from '../patches/pinned-files.ts';

/*
 * A plan's pinned files that are on no mirror (a .deb given to `--patch`, the fault packages the
 * preparing worker built) exist only in the preparing worker's cache. Their bytes go into
 * patchlab_prepared_files (job-schema.ts), keyed by their sha256, so a worker with another cache
 * can put them into its own before its fill checks every pin: the database carries the bytes,
 * the pins still decide which bytes a host may install. A row's `at` is the last time a plan kept it
 * or a worker took it; rows unused for PATCHLAB_PREPARED_FILES_KEEP are forgotten, so the table
 * does not grow with every `--patch` rollout ever made.
 */

/** Long enough for a paused rollout to be resumed on a worker that never held its files. */
export const DEFAULT_PREPARED_FILES_KEEP_MS = 30 * 24 * 3_600_000;
export const PREPARED_FILES_KEEP_VARIABLE = 'PATCHLAB_PREPARED_FILES_KEEP';

/** PATCHLAB_PREPARED_FILES_KEEP as a duration (12h, 30d); unset: 30 days; unusable: an error naming the variable. */
export function preparedFilesKeepFrom(env: NodeJS.ProcessEnv = process.env): number {
  return durationFromEnv(env, PREPARED_FILES_KEEP_VARIABLE, DEFAULT_PREPARED_FILES_KEEP_MS);
}

/** The pinned files a mirror cannot give: every pin that is not an apt archive's .deb. Pure. */
export function mirrorlessPaths(pins: Pins): string[] {
  const fromMirror = new Set(archiveDebs(pins).map((d) => d.path));
  return Object.keys(pins).filter((path) => !fromMirror.has(path)).sort();
}

/**
 * Stores the bytes of the plan's mirrorless files from this cache, each once by its sha256. A file
 * whose bytes are not its pin is refused: the plan was pinned from this very cache a moment ago.
 */
export async function keepMirrorlessFiles(pool: pg.Pool, cacheRoot: string, pins: Pins, at: number): Promise<string[]> {
  const kept: string[] = [];
  for (const path of mirrorlessPaths(pins)) {
    const bytes = readFileSync(localPathOf(cacheRoot, path));
    const sum = sha256(bytes);
    if (sum !== pins[path]) throw new Error(`package cache ${cacheRoot}: ${path} has sha256 ${sum}, and the plan pinned ${pins[path]}`);
    await pool.query('INSERT INTO patchlab_prepared_files (sha256, bytes, at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO UPDATE SET at = GREATEST(patchlab_prepared_files.at, EXCLUDED.at)', [sum, bytes, at]);
    kept.push(path);
  }
  return kept;
}

/**
 * Writes into this cache the plan's mirrorless files it lacks, from the database. A stored file
 * whose bytes do not hash to its key is not written (the fill's pin check then names the file as
 * missing or wrong); one the database does not hold stays missing, and the host's own pin check
 * refuses the install. Returns the paths written.
 */
export async function takeMirrorlessFiles(pool: pg.Pool, cacheRoot: string, pins: Pins, at: number): Promise<string[]> {
  const missing = mirrorlessPaths(pins).filter((path) => !existsSync(localPathOf(cacheRoot, path)));
  if (missing.length === 0) return [];
  // Taken means in use: the rollout that pins them is running, so they are not forgotten under it.
  const { rows } = await pool.query<{ sha256: string; bytes: Buffer }>(
    'UPDATE patchlab_prepared_files SET at = GREATEST(at, $2) WHERE sha256 = ANY($1::text[]) RETURNING sha256, bytes',
    [missing.map((p) => pins[p]), at],
  );
  const bySum = new Map(rows.filter((r) => sha256(r.bytes) === r.sha256).map((r) => [r.sha256, r.bytes]));
  const written: string[] = [];
  for (const path of missing) {
    const bytes = bySum.get(pins[path]!);
    if (!bytes) continue;
    const target = localPathOf(cacheRoot, path);
    mkdirSync(dirname(target), { recursive: true });
    // Whole or not at all: another worker sharing this cache may read it at any moment.
    const partial = `${target}.partial-${process.pid}`;
    writeFileSync(partial, bytes);
    renameSync(partial, target);
    written.push(path);
  }
  return written;
}

/** Forgets the files no plan kept and no worker took for `keepMs` before `now`; returns their sha256s. */
export async function forgetUnusedPreparedFiles(pool: pg.Pool, now: number, keepMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ sha256: string }>('DELETE FROM patchlab_prepared_files WHERE at < $1 RETURNING sha256', [now - keepMs]);
  return rows.map((r) => r.sha256).sort();
}
