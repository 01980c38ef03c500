import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { SCHEMA_VERSION } from '../../lab/store/sqlite-schema.ts';
import { defaultStorePath, openStore } from '../../rollout/store/sqlite-store.ts';
import { sampleState } from '../fixtures/store/samples.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function pragmas(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }),
      journal: db.pragma('journal_mode', { simple: true }),
      tables: db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all(),
    };
  } finally {
    db.close();
  }
}

describe('opening the SQLite store', () => {
  it('lives in the data directory by default', () => {
    expect(defaultStorePath({ PATCHLAB_HOME: dir })).toBe(join(dir, 'patchlab.db'));
  });

  it('creates the directory and a schema in WAL mode at the current version', async () => {
    const path = join(dir, 'deep', 'er', 'patchlab.db');
    await openStore(path).close();
    expect(pragmas(path)).toEqual({ version: SCHEMA_VERSION, journal: 'wal', tables: ['bisects', 'health_samples', 'hold_events', 'holds', 'lab_runs', 'observations', 'rollout_leases', 'rollouts', 'schedule_claims', 'schedule_runs', 'schedules', 'transitions', 'update_sightings'] });
  });

  it('opens an existing database without touching what it holds', async () => {
    const path = join(dir, 'patchlab.db');
    const first = openStore(path);
    await first.createRollout({ state: sampleState(), scenario: 's.yaml', policy: STANDARD_POLICY });
    await first.close();
    const second = openStore(path);
    expect((await second.listRollouts()).map((r) => r.id)).toEqual(['rollout-1']);
    await second.close();
  });

  it('refuses a database from a newer patchlab, leaving it as it was', () => {
    const path = join(dir, 'patchlab.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    expect(() => openStore(path)).toThrow(
      expect.objectContaining({ code: 'newer-schema', message: expect.stringMatching(/schema version \d+, but this patchlab knows versions up to \d+/) }),
    );
    expect(pragmas(path)).toEqual({ version: SCHEMA_VERSION + 1, journal: 'delete', tables: [] });
  });

  it('refuses a file that is not a database', () => {
    const path = join(dir, 'patchlab.db');
    writeFileSync(path, 'not a database, but long enough to have a header that SQLite reads and rejects');
    expect(() => openStore(path)).toThrow(/not a database/);
    expect(existsSync(path)).toBe(true);
  });
});
