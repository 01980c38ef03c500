/*
 * What a page shows of each rollout's growing history (check results, health samples), kept
 * between requests: every request reads only the rows stored since the previous one, by the
 * store's ids, which only grow, instead of the whole history, which grows for as long as the
 * rollout runs.
 */

import { PerRollout } from './per-rollout.ts';

interface Entry<T> {
  value: T;
  lastId: number;
  /** The read in flight: two requests at once must not both fold the same rows in. */
  reading: Promise<T>;
}

export class ReadsSince<T, Row extends { id: number }> {
  private readonly entries: PerRollout<Entry<T>>;

  constructor(
    /** The rollout's rows stored after `afterId`, in id order. */
    private readonly readSince: (rolloutId: string, afterId: number) => Promise<Row[]>,
    private readonly empty: () => T,
    /** The value with the batch added; the same value when the batch is empty, a new one otherwise. */
    private readonly fold: (value: T, batch: readonly Row[]) => T,
    /** Rollouts kept; the least recently asked for goes first. */
    capacity = 16,
  ) {
    this.entries = new PerRollout(capacity);
  }

  /** The rollout's value as stored now. */
  get(rolloutId: string): Promise<T> {
    const entry = this.entries.get(rolloutId) ?? { value: this.empty(), lastId: 0, reading: Promise.resolve(this.empty()) };
    this.entries.set(rolloutId, entry);
    entry.reading = entry.reading
      .catch(() => entry.value)
      .then(async () => {
        const batch = await this.readSince(rolloutId, entry.lastId);
        entry.value = this.fold(entry.value, batch);
        entry.lastId = batch.at(-1)?.id ?? entry.lastId;
        return entry.value;
      });
    return entry.reading;
  }
}
