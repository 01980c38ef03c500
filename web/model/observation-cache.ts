import { foldObservations } from '../../rollout/engine/observation-fold.ts';
import type { ObservationIndex } from '../../rollout/engine/observations.ts';
import type { StoredObservation } from '../../rollout/store/rollout-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { ReadsSince } from './reads-since.ts';

/**
 * Each rollout's observations by host, as the rollout page and its live fragment judge ring
 * health from them, read incrementally (reads-since.ts).
 */
export class ObservationCache {
  private readonly reads: ReadsSince<ObservationIndex, StoredObservation>;

  constructor(store: Pick<Store, 'observationsSince'>, capacity = 16) {
    this.reads = new ReadsSince<ObservationIndex, StoredObservation>(
      (id, afterId) => store.observationsSince(id, afterId),
      () => new Map<string, never>(),
      // Without the store's id: the page sees the same objects a whole-history read gives.
      (index, batch) => foldObservations(index, batch.map((o) => ({ hostId: o.hostId, at: o.at, version: o.version, checks: o.checks }))),
      capacity,
    );
  }

  /** The rollout's observations as stored now, by host, oldest first: what indexObservations(store.observations(id)) gives. */
  index(rolloutId: string): Promise<ObservationIndex> {
    return this.reads.get(rolloutId);
  }
}
