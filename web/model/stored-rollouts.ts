import type { RolloutStore, StoredRollout } from '../../rollout/store/rollout-store.ts';
import { PerRollout } from './per-rollout.ts';

interface Kept {
  /** The store's version (seq) of the rollout this entry holds, or is loading. */
  seq: number;
  record: Promise<StoredRollout | undefined>;
}

/*
 * Each rollout as last loaded, handed out again while the store still holds the same version of it.
 * Loading parses the whole state, audit log included, which grows for as long as the rollout runs;
 * asking for the version reads one column by the rollout's key. Every write of a rollout moves its
 * seq (rollout-store.ts), whichever process wrote it, so a version that matches means nothing
 * changed. The records handed out are shared between requests: nothing may change them.
 */
export class StoredRollouts {
  private readonly kept: PerRollout<Kept>;

  constructor(
    private readonly store: Pick<RolloutStore, 'rolloutVersion' | 'loadRollout'>,
    capacity = 16,
  ) {
    this.kept = new PerRollout(capacity);
  }

  /** The rollout as stored now; undefined when there is none. */
  async load(id: string): Promise<StoredRollout | undefined> {
    const seq = await this.store.rolloutVersion(id);
    if (seq === undefined) {
      this.kept.delete(id);
      return undefined;
    }
    const known = this.kept.get(id);
    // Requests that arrive while a version loads share that one load.
    if (known?.seq === seq) return known.record;
    const entry: Kept = { seq, record: this.store.loadRollout(id) };
    this.kept.set(id, entry);
    entry.record.then(
      // A write between the version read and the load: the entry holds what was loaded.
      (record) => {
        if (record) entry.seq = record.seq;
        else this.forget(id, entry);
      },
      () => this.forget(id, entry),
    );
    return entry.record;
  }

  private forget(id: string, entry: Kept): void {
    if (this.kept.get(id) === entry) this.kept.delete(id);
  }
}
