import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrate, versionBefore } from '../../lab/store/postgres-schema.ts';
import { openPostgresStore } from '../../rollout/store/postgres-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import type { StoreHarness } from '../contract/harness.ts';
import { startPostgresCluster, type PostgresCluster } from '../contract/postgres-cluster.ts';
import { bisectStoreContract } from '../contract/bisect-store.contract.ts';
import { holdStoreContract } from '../contract/hold-store.contract.ts';
import { sightingStoreContract } from '../contract/sighting-store.contract.ts';
import { leaseStoreContract } from '../contract/lease-store.contract.ts';
import { recordStoreContract } from '../contract/record-store.contract.ts';
import { rolloutStoreContract } from '../contract/rollout-store.contract.ts';
import { scheduleStoreContract } from '../contract/schedule-store.contract.ts';

/*
 * The same contracts as SQLite's, on a real PostgreSQL server: a throwaway cluster for this file
 * (a Unix socket in a temporary folder), a fresh database for each test, dropped after it.
 * Without Debian's postgresql installed, every test fails saying to run bin/setup.
 */
let cluster: PostgresCluster | undefined;

beforeAll(async () => {
  cluster = await startPostgresCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

const postgres: StoreHarness<Store> = {
  async create() {
    if (!cluster) throw new Error('the PostgreSQL cluster did not start (see the error of beforeAll)');
    const database = await cluster.createDatabase();
    return { open: () => openPostgresStore(database.url), dispose: () => database.drop() };
  },
  constraintFailure: /violates check constraint/,
  async createBefore(marker, table, rows) {
    if (!cluster) throw new Error('the PostgreSQL cluster did not start (see the error of beforeAll)');
    const database = await cluster.createDatabase();
    const pool = new pg.Pool({ connectionString: database.url });
    try {
      await migrate(pool, database.name, versionBefore(marker));
      for (const row of rows) {
        const columns = Object.keys(row);
        await pool.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
      }
    } finally {
      await pool.end();
    }
    return { open: () => openPostgresStore(database.url), dispose: () => database.drop() };
  },
};

describe('PostgreSQL store', () => {
  rolloutStoreContract(postgres);
  recordStoreContract(postgres);
  scheduleStoreContract(postgres);
  holdStoreContract(postgres);
  bisectStoreContract(postgres);
  sightingStoreContract(postgres);
  leaseStoreContract(postgres);
});
