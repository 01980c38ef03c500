import { SqliteBisectStore } from '../../lab/bisect/sqlite-bisect-store.ts';
import { SqliteSightingStore } from '../../lab/sightings/sqlite-sighting-store.ts';
import { SqliteHoldStore } from '../../lab/holds/sqlite-hold-store.ts';
import { SqliteScheduleStore } from '../../lab/schedule/sqlite-schedule-store.ts';
import { defaultStorePath, openSqliteDatabase } from '../../lab/store/sqlite-database.ts';
import { SqliteLabRunStore } from '../../lab/store/sqlite-lab-run-store.ts';
import { composeStore } from './compose-store.ts';
import { SqliteLeaseStore } from './sqlite-lease-store.ts';
import { SqliteRolloutStore } from './sqlite-rollout-store.ts';
import type { Store } from './store.ts';

export { defaultStorePath };

/**
 * The embedded default: every concern's store over one SQLite file (created with its directory
 * if need be); ':memory:' gives a throwaway one. Synchronous, for the callers and tests that open
 * a SQLite file by its path; `openConfiguredStore()` (open-store.ts) picks PostgreSQL when configured.
 */
export function openStore(path: string = defaultStorePath()): Store {
  const { db, location } = openSqliteDatabase(path);
  return composeStore({
    rollouts: new SqliteRolloutStore(db, location),
    leases: new SqliteLeaseStore(db),
    labRuns: new SqliteLabRunStore(db),
    schedules: new SqliteScheduleStore(db),
    holds: new SqliteHoldStore(db),
    bisects: new SqliteBisectStore(db),
    sightings: new SqliteSightingStore(db),
    close: async () => {
      db.close();
    },
  });
}
