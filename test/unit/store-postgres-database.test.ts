import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeDatabaseUrl } from '../../lab/store/postgres-database.ts';
import { POSTGRES_SCHEMA_VERSION } from '../../lab/store/postgres-schema.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { ENGINE } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { openConfiguredStore } from '../../rollout/store/open-store.ts';
import { openPostgresStore } from '../../rollout/store/postgres-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { sampleState, T0 } from '../fixtures/store/samples.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';

/* What the contracts cannot say for every implementation: migrations, the URL, concurrent writers. */
let cluster: PostgresCluster | undefined;
let database: TestDatabaseOnCluster;

beforeAll(async () => {
  cluster = await startPostgresCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach(async () => {
  if (!cluster) throw new Error('the PostgreSQL cluster did not start (see the error of beforeAll)');
  database = await cluster.createDatabase();
});

afterEach(async () => {
  await database.drop();
});

/** Runs SQL on the test's database beside the store, as an administrator would. */
async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const tables = async () =>
  (await sql<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).map((r) => r.table_name);

async function closeAll(stores: Store[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

describe('opening the PostgreSQL store', () => {
  it('creates the schema with one row per migration in schema_migrations', async () => {
    await (await openPostgresStore(database.url)).close();
    expect(await tables()).toEqual(['bisects', 'health_samples', 'hold_events', 'holds', 'lab_runs', 'observations', 'rollout_leases', 'rollouts', 'schedule_claims', 'schedule_runs', 'schedules', 'schema_migrations', 'transitions', 'update_sightings']);
    expect((await sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version)).toEqual(
      Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('migrates once when several processes open a new database at once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(database.url)));
    try {
      expect(await sql('SELECT version FROM schema_migrations')).toHaveLength(POSTGRES_SCHEMA_VERSION);
      await stores[0]!.createRollout({ state: sampleState(), scenario: 's.yaml', policy: STANDARD_POLICY });
      expect((await stores[3]!.listRollouts()).map((r) => r.id)).toEqual(['rollout-1']);
    } finally {
      await closeAll(stores);
    }
  });

  it('refuses a database from a newer patchlab, leaving it as it was', async () => {
    await sql('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    await sql('INSERT INTO schema_migrations (version) VALUES ($1)', [POSTGRES_SCHEMA_VERSION + 1]);
    await expect(openPostgresStore(database.url)).rejects.toMatchObject({
      code: 'newer-schema',
      message: expect.stringMatching(/schema version \d+, but this patchlab knows versions up to \d+/),
    });
    expect(await tables()).toEqual(['schema_migrations']);
  });

  it('keeps the password out of its location and its errors, which name the database', async () => {
    expect(describeDatabaseUrl('postgres://bob:s3cret@db.example:5433/patchlab?sslmode=require')).toBe('postgres://bob@db.example:5433/patchlab?sslmode=require');
    const url = `${database.url}&password=s3cret`;
    const store = await openPostgresStore(url);
    expect(store.location).not.toContain('s3cret');
    expect(store.location).toContain(database.name);
    await store.close();

    const missing = url.replace(database.name, 'patchlab_missing');
    const error = (await openPostgresStore(missing).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/patchlab_missing.*does not exist/);
    expect(error.message).not.toContain('s3cret');
  });
});

describe('choosing the store by PATCHLAB_DATABASE_URL', () => {
  it('opens SQLite in PATCHLAB_HOME when it is unset, PostgreSQL when it names a database', async () => {
    const home = mkdtempSync(join(tmpdir(), 'patchlab-home-'));
    try {
      const sqlite = await openConfiguredStore({ PATCHLAB_HOME: home });
      expect(sqlite.location).toBe(join(home, 'patchlab.db'));
      await sqlite.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    const postgres = await openConfiguredStore({ PATCHLAB_DATABASE_URL: database.url });
    expect(postgres.location).toBe(database.url);
    await postgres.close();
  });

  it('refuses a URL that is not PostgreSQL’s without repeating it', async () => {
    for (const url of ['mysql://bob:s3cret@db/patchlab', 'bob:s3cret@db/patchlab', 'not a url s3cret']) {
      const error = (await openConfiguredStore({ PATCHLAB_DATABASE_URL: url }).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/is not a postgres:\/\/ or postgresql:\/\/ URL; expected postgresql:\/\//);
      expect(error.message).not.toMatch(/s3cret|bob/);
    }
  });
});

describe('concurrent writers', () => {
  it('of transitions computed from the same seq: one is stored, every other is told stale', async () => {
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(database.url)));
    try {
      const start = sampleState();
      await stores[0]!.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const decision = { action: 'promote' as const, ring: 0, toRing: 1, reasons: ['soaked'], figures: {} };
      const next = apply(start, decision, T0 + 1000);
      const outcomes = await Promise.allSettled(stores.map((s) => s.recordTransition(start.id, { at: T0 + 1000, actor: ENGINE, kind: 'decision', payload: decision }, next, 0)));
      expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([1]);
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as { code: string }).code)).toEqual(Array(5).fill('stale'));
      expect(await stores[0]!.transitions(start.id)).toHaveLength(1);
    } finally {
      await closeAll(stores);
    }
  });

  it('of observations: a reader polling by id misses none and sees each batch whole', async () => {
    const [reader, ...writers] = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore(database.url)));
    try {
      await reader!.createRollout({ state: sampleState(), scenario: 's.yaml', policy: STANDARD_POLICY });
      const BATCHES = 15;
      const SIZE = 4;
      let writing = true;
      const written = Promise.all(
        writers.map(async (writer, w) => {
          for (let b = 0; b < BATCHES; b++) {
            const batch = Array.from({ length: SIZE }, (_, i) => ({ hostId: `w${w}-b${b}-${i}`, at: T0 + b, version: '1', checks: [] }));
            await writer.recordObservations('rollout-1', batch);
          }
        }),
      ).finally(() => {
        writing = false;
      });
      const polls: { id: number; hostId: string }[][] = [];
      let last = 0;
      for (let more = true; more; ) {
        more = writing;
        const seen = await reader!.observationsSince('rollout-1', last);
        if (seen.length > 0) polls.push(seen);
        last = seen.at(-1)?.id ?? last;
      }
      await written;
      const seen = polls.flat();
      expect(seen.map((o) => o.hostId).sort()).toEqual(writers.flatMap((_, w) => Array.from({ length: BATCHES * SIZE }, (_, n) => `w${w}-b${Math.floor(n / SIZE)}-${n % SIZE}`)).sort());
      expect(seen.every((o, i) => i === 0 || o.id > seen[i - 1]!.id)).toBe(true);
      // A batch seen in part would show up in two polls.
      const pollOfBatch = new Map<string, Set<number>>();
      polls.forEach((poll, p) => poll.forEach((o) => pollOfBatch.set(o.hostId.replace(/-\d+$/, ''), (pollOfBatch.get(o.hostId.replace(/-\d+$/, '')) ?? new Set()).add(p))));
      expect([...pollOfBatch.values()].filter((p) => p.size > 1)).toEqual([]);
    } finally {
      await closeAll([reader!, ...writers]);
    }
  });
});
