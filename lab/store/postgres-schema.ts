import type pg from 'pg';
import { inTransaction, MIGRATION_LOCK } from './postgres-transaction.ts';
import { StoreError } from './store-error.ts';

/*
 * The PostgreSQL schema as an ordered list of migrations; `schema_migrations` holds one row per
 * migration applied. Append a migration for every change, never edit one that has shipped.
 *
 * The tables are SQLite's (sqlite-schema.ts), so both stores share their row mapping, with these
 * differences:
 * - Times in milliseconds are bigint; ratios and latencies double precision (`real` is 4 bytes).
 * - JSON is kept as text, exactly as strictJson wrote it: jsonb would refuse the \u0000 that a
 *   lab's captured output may hold, and would reorder keys.
 * - Keys, and the columns that lists are sorted by, are COLLATE "C": byte order, as SQLite sorts, whatever
 *   locale the database was created with.
 * - Rows that SQLite orders by rowid have an identity column instead.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE rollouts (
    id text COLLATE "C" PRIMARY KEY,
    scenario text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    seq integer NOT NULL,
    phase text NOT NULL,
    ring text NOT NULL,
    patch_name text NOT NULL,
    patch_version text NOT NULL,
    patch_severity text NOT NULL,
    state text NOT NULL,
    policy text NOT NULL,
    meta text NOT NULL
  );
  CREATE INDEX rollouts_by_creation ON rollouts (created_at);

  CREATE TABLE transitions (
    rollout_id text COLLATE "C" NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    at bigint NOT NULL,
    actor text NOT NULL CHECK (actor <> ''),
    kind text NOT NULL CHECK (kind IN ('decision', 'host-events', 'command')),
    payload text NOT NULL,
    PRIMARY KEY (rollout_id, seq)
  );

  CREATE TABLE health_samples (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rollout_id text COLLATE "C" NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    at bigint NOT NULL,
    ring text NOT NULL,
    pass_rate double precision,
    failed integer NOT NULL,
    budget integer NOT NULL,
    latency_p50 double precision
  );
  CREATE INDEX health_samples_by_rollout ON health_samples (rollout_id, at);

  -- The check results the engine judged by, so a restarted runner decides as it would have.
  CREATE TABLE observations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rollout_id text COLLATE "C" NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    host_id text NOT NULL,
    at bigint NOT NULL,
    version text NOT NULL,
    checks text NOT NULL
  );
  CREATE INDEX observations_by_rollout ON observations (rollout_id, at);
  -- What the rollout page polls: a rollout's observations after the last id it saw.
  CREATE INDEX observations_by_rollout_id ON observations (rollout_id, id);

  CREATE TABLE lab_runs (
    run_id text COLLATE "C" PRIMARY KEY,
    image text COLLATE "C" NOT NULL,
    verdict text NOT NULL,
    started_at text COLLATE "C" NOT NULL,
    duration_ms bigint NOT NULL,
    report text NOT NULL
  );
  CREATE INDEX lab_runs_by_start ON lab_runs (started_at);
  CREATE INDEX lab_runs_by_image ON lab_runs (image, started_at);

  CREATE TABLE schedules (
    name text COLLATE "C" PRIMARY KEY,
    added_at bigint NOT NULL,
    spec text NOT NULL
  );

  CREATE TABLE schedule_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule text COLLATE "C" NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
    started_at bigint NOT NULL,
    slot_at bigint,
    finished_at bigint NOT NULL,
    result text NOT NULL
  );
  CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule, started_at);
  `,
  // Who took a schedule's slot: the first serve to claim it runs it, however many share the database.
  `
  CREATE TABLE schedule_claims (
    schedule text COLLATE "C" NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
    slot_at bigint NOT NULL,
    claimed_by text NOT NULL,
    claimed_at bigint NOT NULL,
    PRIMARY KEY (schedule, slot_at)
  );
  `,
  // Packages kept back from every patch, and the record of who held and lifted what, and why.
  `
  CREATE TABLE holds (
    pattern text COLLATE "C" PRIMARY KEY,
    reason text NOT NULL,
    held_by text NOT NULL,
    held_at bigint NOT NULL
  );

  CREATE TABLE hold_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern text NOT NULL,
    action text NOT NULL CHECK (action IN ('hold', 'lift')),
    actor text NOT NULL,
    reason text NOT NULL,
    at bigint NOT NULL
  );
  `,
  // Culprit bisections, saved at every step while they run, so the page shows one as it goes.
  `
  CREATE TABLE bisects (
    bisect_id text COLLATE "C" PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL,
    image text NOT NULL,
    status text NOT NULL,
    started_at text COLLATE "C" NOT NULL,
    report text NOT NULL
  );
  CREATE INDEX bisects_by_run ON bisects (run_id, started_at);
  CREATE INDEX bisects_by_start ON bisects (started_at);
  `,
  // The first time each update (package at a candidate version) was seen pending: its age.
  `
  CREATE TABLE update_sightings (
    package text COLLATE "C" NOT NULL,
    version text COLLATE "C" NOT NULL,
    first_seen_at bigint NOT NULL,
    seen_by text NOT NULL,
    PRIMARY KEY (package, version)
  );
  `,
  // Who drives each rollout (rollout/store/lease-store.ts). No foreign key: a new rollout's lease
  // is claimed before the rollout is stored, and a released row keeps its epoch for the next claim.
  `
  CREATE TABLE rollout_leases (
    rollout_id text COLLATE "C" PRIMARY KEY,
    owner text NOT NULL,
    epoch integer NOT NULL CHECK (epoch > 0),
    expires_at bigint NOT NULL
  );
  `,
  // Until when a rollout's first patch waits for its updates' minimum age (null: no wait, or an
  // admin overrode it), copied out of the state so that a list of rollouts can say so.
  `
  ALTER TABLE rollouts ADD COLUMN age_wait_until bigint;
  UPDATE rollouts SET age_wait_until = (state::jsonb #>> '{ageWait,until}')::bigint
    WHERE coalesce(jsonb_typeof(state::jsonb #> '{ageWait,override}'), 'null') = 'null';
  `,
  // What the rollout page polls: a rollout's health samples after the last id it saw.
  `
  CREATE INDEX health_samples_by_rollout_id ON health_samples (rollout_id, id);
  `,
  // How each rollout came by its policy (its meta's policyChoice), copied out so that a list of
  // rollouts shows the policy that applies. json, not jsonb: it keeps the text as written.
  `
  ALTER TABLE rollouts ADD COLUMN policy_choice text;
  UPDATE rollouts SET policy_choice = (meta::json -> 'policyChoice')::text WHERE json_typeof(meta::json -> 'policyChoice') = 'object';
  `,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version just before the first migration whose SQL holds `marker`: where a test of that migration starts. */
export function versionBefore(marker: string): number {
  const at = MIGRATIONS.findIndex((sql) => sql.includes(marker));
  if (at === -1) throw new Error(`no migration holds ${JSON.stringify(marker)}`);
  return at;
}

/**
 * Brings the schema up to date in one transaction, under an advisory lock so that two processes
 * starting at once do not both migrate: the second waits, then finds the work done. A database
 * from a newer patchlab is refused untouched (the transaction, table creation included, is rolled back).
 * `upTo` stops earlier: a test makes a database as an older patchlab left it.
 */
export async function migrate(pool: pg.Pool, location: string, upTo = POSTGRES_SCHEMA_VERSION): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
    const version = rows[0]!.version;
    if (version > POSTGRES_SCHEMA_VERSION) {
      throw new StoreError(
        'newer-schema',
        `${location} has schema version ${version}, but this patchlab knows versions up to ${POSTGRES_SCHEMA_VERSION}: upgrade patchlab to use it`,
      );
    }
    for (let next = version + 1; next <= upTo; next++) {
      await client.query(MIGRATIONS[next - 1]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [next]);
    }
  });
}
