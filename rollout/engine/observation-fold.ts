import type { Observation, ObservationIndex } from './observations.ts';

/**
 * Adds observations, in the order the store gave them ids, to an index by host, and returns the
 * new index: the one indexObservations would build from all of them. Each host's list stays
 * oldest first and, among equal times, in the order stored, as the store's own ordering (time,
 * then id) and indexObservations' stable sort give. Pure: the index given is left as it was, and
 * only the lists of hosts in the batch are copied.
 */
export function foldObservations(index: ObservationIndex, batch: readonly Observation[]): ObservationIndex {
  if (batch.length === 0) return index;
  const next = new Map(index);
  const copied = new Set<string>();
  for (const observation of batch) {
    let list = next.get(observation.hostId) as Observation[] | undefined;
    if (!list) {
      list = [];
      next.set(observation.hostId, list);
      copied.add(observation.hostId);
    } else if (!copied.has(observation.hostId)) {
      list = [...list];
      next.set(observation.hostId, list);
      copied.add(observation.hostId);
    }
    // Usually the newest: a check round arrives in time order. Otherwise after the last one not later than it.
    let at = list.length;
    while (at > 0 && list[at - 1]!.at > observation.at) at--;
    list.splice(at, 0, observation);
  }
  return next;
}
