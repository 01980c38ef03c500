import { PostgresBisectStore } from '../../lab/bisect/postgres-bisect-store.ts';
import { PostgresSightingStore } from '../../lab/sightings/postgres-sighting-store.ts';
import { PostgresHoldStore } from '../../lab/holds/postgres-hold-store.ts';
import { PostgresScheduleStore } from '../../lab/schedule/postgres-schedule-store.ts';
import { openPostgresDatabase } from '../../lab/store/postgres-database.ts';
import { PostgresLabRunStore } from '../../lab/store/postgres-lab-run-store.ts';
import { composeStore } from './compose-store.ts';
import { PostgresLeaseStore } from './postgres-lease-store.ts';
import { PostgresRolloutStore } from './postgres-rollout-store.ts';
import type { Store } from './store.ts';

/**
 * Every concern's store over one PostgreSQL database, for several workers that share state.
 * Connects and migrates first, so a database that cannot be used is refused here, not at the
 * first write. Its location is the URL without the password.
 */
export async function openPostgresStore(url: string): Promise<Store> {
  const { pool, location } = await openPostgresDatabase(url);
  return composeStore({
    rollouts: new PostgresRolloutStore(pool, location),
    leases: new PostgresLeaseStore(pool),
    labRuns: new PostgresLabRunStore(pool),
    schedules: new PostgresScheduleStore(pool),
    holds: new PostgresHoldStore(pool),
    bisects: new PostgresBisectStore(pool),
    sightings: new PostgresSightingStore(pool),
    close: () => pool.end(),
  });
}
