import type Database from 'better-sqlite3';
import { StoreError } from './store-error.ts';

/*
 * The schema as an ordered list of migrations; the database's user_version says how many have
 * been applied. Append a migration for every change, never edit one that has shipped.
 *
 * The current state of a rollout is one row, replaced on every transition; the transitions are
 * the log that explains it. Phase, ring and patch are copied out of the state so that a list of
 * rollouts does not parse every state (a large fleet's is megabytes).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    phase TEXT NOT NULL,
    ring TEXT NOT NULL,
    patch_name TEXT NOT NULL,
    patch_version TEXT NOT NULL,
    patch_severity TEXT NOT NULL,
    state TEXT NOT NULL,
    policy TEXT NOT NULL,
    meta TEXT NOT NULL
  ) STRICT;
  CREATE INDEX rollouts_by_creation ON rollouts (created_at);

  CREATE TABLE transitions (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL CHECK (actor <> ''),
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'host-events', 'command')),
    payload TEXT NOT NULL,
    PRIMARY KEY (rollout_id, seq)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE health_samples (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    ring TEXT NOT NULL,
    pass_rate REAL,
    failed INTEGER NOT NULL,
    budget INTEGER NOT NULL,
    latency_p50 REAL
  ) STRICT;
  CREATE INDEX health_samples_by_rollout ON health_samples (rollout_id, at);

  CREATE TABLE lab_runs (
    run_id TEXT PRIMARY KEY,
    image TEXT NOT NULL,
    verdict TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    report TEXT NOT NULL
  ) STRICT;
  CREATE INDEX lab_runs_by_start ON lab_runs (started_at);
  CREATE INDEX lab_runs_by_image ON lab_runs (image, started_at);
  `,
  // The check results the engine judged by: without them a restarted runner would forget a
  // suspect host's first failure, or a latency sample, and decide differently than it would have.
  `
  CREATE TABLE observations (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    host_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    version TEXT NOT NULL,
    checks TEXT NOT NULL
  ) STRICT;
  CREATE INDEX observations_by_rollout ON observations (rollout_id, at);
  `,
  // Scheduled regression runs: the schedule as validated, and one row per run with what it found.
  `
  CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    added_at INTEGER NOT NULL,
    spec TEXT NOT NULL
  ) STRICT;

  CREATE TABLE schedule_runs (
    schedule TEXT NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    slot_at INTEGER,
    finished_at INTEGER NOT NULL,
    result TEXT NOT NULL
  ) STRICT;
  CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule, started_at);
  `,
  // A rollout's observations in rowid order from a given rowid on (an index's entries end with
  // the rowid), so the rollout page reads only what is new since its last look.
  `
  CREATE INDEX observations_by_rollout_row ON observations (rollout_id);
  `,
  // Who took a schedule's slot: the first serve to claim it runs it, so a slot runs once however
  // many serve processes share the database.
  `
  CREATE TABLE schedule_claims (
    schedule TEXT NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
    slot_at INTEGER NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at INTEGER NOT NULL,
    PRIMARY KEY (schedule, slot_at)
  ) STRICT;
  `,
  // Packages kept back from every patch, and the record of who held and lifted what, and why.
  `
  CREATE TABLE holds (
    pattern TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    held_by TEXT NOT NULL,
    held_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE hold_events (
    pattern TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('hold', 'lift')),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;
  `,
  // Culprit bisections, saved at every step while they run, so the page shows one as it goes.
  `
  CREATE TABLE bisects (
    bisect_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    image TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    report TEXT NOT NULL
  ) STRICT;
  CREATE INDEX bisects_by_run ON bisects (run_id, started_at);
  CREATE INDEX bisects_by_start ON bisects (started_at);
  `,
  // The first time each update (package at a candidate version) was seen pending: its age.
  `
  CREATE TABLE update_sightings (
    package TEXT NOT NULL,
    version TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    seen_by TEXT NOT NULL,
    PRIMARY KEY (package, version)
  ) STRICT;
  `,
  // Who drives each rollout (rollout/store/lease-store.ts). No foreign key: a new rollout's lease
  // is claimed before the rollout is stored, and a released row keeps its epoch for the next claim.
  `
  CREATE TABLE rollout_leases (
    rollout_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    epoch INTEGER NOT NULL CHECK (epoch > 0),
    expires_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // Until when a rollout's first patch waits for its updates' minimum age (null: no wait, or an
  // admin overrode it), copied out of the state so that a list of rollouts can say so.
  `
  ALTER TABLE rollouts ADD COLUMN age_wait_until INTEGER;
  UPDATE rollouts SET age_wait_until = json_extract(state, '$.ageWait.until') WHERE json_extract(state, '$.ageWait.override') IS NULL;
  `,
  // What the rollout page polls: a rollout's health samples after the last rowid it saw (an index
  // on rollout_id alone ends in the rowid; the one by (rollout_id, at) made each poll scan them all).
  `
  CREATE INDEX health_samples_by_rollout_row ON health_samples (rollout_id);
  `,
  // How each rollout came by its policy (its meta's policyChoice), copied out so that a list of
  // rollouts shows the policy that applies rather than the plan's severity, which a rule overrides.
  `
  ALTER TABLE rollouts ADD COLUMN policy_choice TEXT;
  UPDATE rollouts SET policy_choice = json_extract(meta, '$.policyChoice') WHERE json_type(meta, '$.policyChoice') = 'object';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version just before the first migration whose SQL holds `marker`: where a test of that migration starts. */
export function versionBefore(marker: string): number {
  const at = MIGRATIONS.findIndex((sql) => sql.includes(marker));
  if (at === -1) throw new Error(`no migration holds ${JSON.stringify(marker)}`);
  return at;
}

/**
 * Brings the schema up to date in one transaction; a database from a newer patchlab is refused
 * untouched. `upTo` stops earlier: a test makes a database as an older patchlab left it.
 */
export function migrate(db: Database.Database, path: string, upTo = SCHEMA_VERSION): void {
  const versionOf = () => db.pragma('user_version', { simple: true }) as number;
  const refuseNewer = (version: number) => {
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'newer-schema',
        `${path} has schema version ${version}, but this patchlab knows versions up to ${SCHEMA_VERSION}: upgrade patchlab to use it`,
      );
    }
  };
  const found = versionOf();
  refuseNewer(found);
  if (found >= upTo) return;
  // Immediate, and read again inside: two processes opening a new database must not both migrate it.
  db.transaction(() => {
    const version = versionOf();
    refuseNewer(version);
    for (const sql of MIGRATIONS.slice(version, upTo)) db.exec(sql);
    db.pragma(`user_version = ${Math.max(version, upTo)}`);
  }).immediate();
}
