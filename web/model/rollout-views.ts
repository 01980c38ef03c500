import type { ObservationIndex } from '../../rollout/engine/observations.ts';
import type { StoredRollout } from '../../rollout/store/rollout-store.ts';
import { PerRollout } from './per-rollout.ts';
import { rolloutView, type RolloutView } from './rollout-view.ts';

/** A view and the time it was worked out for, which is the time the page then shows. */
export interface TimedView {
  view: RolloutView;
  now: number;
}

interface Kept extends TimedView {
  record: StoredRollout;
  index: ObservationIndex;
  second: number;
}

/*
 * Each rollout's view, worked out once per stored version, set of check results and second of
 * the clock, and handed to every request in between. The view reads the clock (soak left, ring
 * times, a check overdue) and the page shows times to the second, so requests within one second
 * show what the first of them worked out. The records and indexes are the ones StoredRollouts and
 * ObservationCache hand out, which are new objects whenever what they hold changed.
 */
export class RolloutViews {
  private readonly kept: PerRollout<Kept>;

  constructor(capacity = 16) {
    this.kept = new PerRollout(capacity);
  }

  of(record: StoredRollout, index: ObservationIndex, now: number): TimedView {
    const second = Math.floor(now / 1000);
    const known = this.kept.get(record.id);
    if (known && known.record === record && known.index === index && known.second === second) return known;
    const fresh: Kept = { record, index, second, now, view: rolloutView(record.state, record.policy, index, now) };
    this.kept.set(record.id, fresh);
    return fresh;
  }
}
