import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
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

/** The embedded default: every store over one SQLite file in a temporary folder. */
const sqlite: StoreHarness<Store> = {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-store-'));
    const path = join(dir, 'patchlab.db');
    return {
      open: async () => openStore(path),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  constraintFailure: /CHECK constraint failed/,
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
