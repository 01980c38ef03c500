import type { HealthSample, StoredHealthSample } from '../../rollout/store/rollout-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { ReadsSince } from './reads-since.ts';

/**
 * Each rollout's health samples for the chart, read incrementally (reads-since.ts). A list is
 * never changed once handed out: new samples give a new list, so the same list means the same
 * chart.
 */
export class HealthSampleCache {
  private readonly reads: ReadsSince<readonly HealthSample[], StoredHealthSample>;

  constructor(store: Pick<Store, 'healthSamplesSince'>, capacity = 16) {
    this.reads = new ReadsSince((id, afterId) => store.healthSamplesSince(id, afterId), () => [], foldHealthSamples, capacity);
  }

  /** The rollout's health samples as stored now, oldest first: what store.healthSamples(id) gives. */
  samples(rolloutId: string): Promise<readonly HealthSample[]> {
    return this.reads.get(rolloutId);
  }
}

/** The samples with a batch (in id order) added, in time order and, among equal times, in the order stored, as the store sorts them. */
export function foldHealthSamples(samples: readonly HealthSample[], batch: readonly StoredHealthSample[]): readonly HealthSample[] {
  if (batch.length === 0) return samples;
  const next = [...samples];
  for (const { id: _, ...sample } of batch) {
    // Usually the newest: samples are taken in time order. Otherwise after the last one not later than it.
    let at = next.length;
    while (at > 0 && next[at - 1]!.at > sample.at) at--;
    next.splice(at, 0, sample);
  }
  return next;
}
