import { foldObservations } from '../../rollout/engine/observation-fold.ts';
import type { ObservationIndex } from '../../rollout/engine/observations.ts';
import type { Store } from '../../rollout/store/store.ts';

interface Entry {
  index: ObservationIndex;
  lastId: number;
  /** The read in flight: two requests at once must not both fold the same rows in. */
  reading: Promise<ObservationIndex>;
}

/**
 * Each rollout's observations by host, as the rollout page and its live fragment judge ring
 * health from them. Every request reads only the observations stored since the previous one,
 * instead of the whole history, which grows for as long as the rollout runs.
 */
export class ObservationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<Store, 'observationsSince'>,
    /** Rollouts kept; the least recently asked for goes first. */
    private readonly capacity = 16,
  ) {}

  /** The rollout's observations as stored now, by host, oldest first: what indexObservations(store.observations(id)) gives. */
  index(rolloutId: string): Promise<ObservationIndex> {
    const entry = this.entries.get(rolloutId) ?? { index: new Map(), lastId: 0, reading: Promise.resolve(new Map()) };
    // Most recently used last, so the first key is the one to drop.
    this.entries.delete(rolloutId);
    this.entries.set(rolloutId, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    entry.reading = entry.reading
      .catch(() => entry.index)
      .then(async () => {
        const batch = await this.store.observationsSince(rolloutId, entry.lastId);
        // Without the store's id: the page sees the same objects a whole-history read gives.
        entry.index = foldObservations(entry.index, batch.map((o) => ({ hostId: o.hostId, at: o.at, version: o.version, checks: o.checks })));
        entry.lastId = batch.at(-1)?.id ?? entry.lastId;
        return entry.index;
      });
    return entry.reading;
  }
}
