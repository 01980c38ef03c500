import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe } from 'vitest';
import { migrate, versionBefore } from '../../lab/store/sqlite-schema.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import type { StoreHarness } from '../contract/harness.ts';
import { bisectStoreContract } from '../contract/bisect-store.contract.ts';
import { holdStoreContract } from '../contract/hold-store.contract.ts';
import { sightingStoreContract } from '../contract/sighting-store.contract.ts';
import { leaseStoreContract } from '../contract/lease-store.contract.ts';
import { recordStoreContract } from '../contract/record-store.contract.ts';
import { rolloutStoreContract } from '../contract/rollout-store.contract.ts';
import { scheduleStoreContract } from '../contract/schedule-store.contract.ts';

/** A SQLite file in a temporary folder, opened as the embedded default opens it: every store over it. */
function database(dir: string, path: string) {
  return { open: async () => openStore(path), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

const sqlite: StoreHarness<Store> = {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-store-'));
    return database(dir, join(dir, 'patchlab.db'));
  },
  constraintFailure: /CHECK constraint failed/,
  async createBefore(marker, table, rows) {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-store-'));
    const path = join(dir, 'patchlab.db');
    const db = new Database(path);
    try {
      migrate(db, path, versionBefore(marker));
      for (const row of rows) {
        const columns = Object.keys(row);
        db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
      }
    } finally {
      db.close();
    }
    return database(dir, path);
  },
};

describe('SQLite store', () => {
  rolloutStoreContract(sqlite);
  recordStoreContract(sqlite);
  scheduleStoreContract(sqlite);
  holdStoreContract(sqlite);
  bisectStoreContract(sqlite);
  sightingStoreContract(sqlite);
  leaseStoreContract(sqlite);
});
