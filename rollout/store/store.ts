import type { LabRunStore } from '../../lab/store/lab-run-store.ts';
import type { BisectStore } from '../../lab/bisect/bisect-store.ts';
import type { HoldStore } from '../../lab/holds/hold-store.ts';
import type { SightingStore } from '../../lab/sightings/sighting-store.ts';
import type { ScheduleStore } from '../../lab/schedule/schedule-store.ts';
import type { LeaseStore } from './lease-store.ts';
import type { RolloutStore } from './rollout-store.ts';

/**
 * The whole app's state as `serve` and the CLI open it: one narrow store per concern, each with
 * its own contract test, so a second implementation (PostgreSQL) can come one interface at a
 * time. Code that needs one concern takes that interface, not this.
 */
export interface Store extends RolloutStore, LeaseStore, LabRunStore, ScheduleStore, HoldStore, BisectStore, SightingStore {
  close(): Promise<void>;
}
