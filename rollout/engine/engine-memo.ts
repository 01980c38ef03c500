import { editInPlace, summaryOf } from './host-summary.ts';
import { isOwned } from './owned-lists.ts';

/*
 * Memos for the engine's passes over the host list. The engine stays a pure function of plain
 * data, but with a hundred thousand hosts (the simulator) each decision and transition would
 * group the hosts by ring and count them several times, and build an id index. Transitions never
 * change a state in place unless its holder owns it (owned-lists.ts): they return new objects and
 * keep the unchanged ones, so a host list seen before is known by its identity; a memo that cannot
 * prove it still holds recomputes. The summary itself is in host-summary.ts.
 */

interface MemoHost {
  id: string;
  ring: number;
  phase: string;
}

/** The hosts of each ring, in state order. */
export function hostsByRing<H extends MemoHost>(hosts: readonly H[]): readonly (readonly H[])[] {
  return summaryOf(hosts).byRing;
}

/** How many hosts are patching now. */
export function patchingCount(hosts: readonly MemoHost[]): number {
  return summaryOf(hosts).patching;
}

/** How many hosts the patch may have reached (neither pending nor rolled back). */
export function touchedCount(hosts: readonly MemoHost[]): number {
  return summaryOf(hosts).touched;
}

/**
 * Host positions by id for the latest few rollouts. The order of a rollout's hosts never changes
 * after createRollout, so one index serves every later state of it; a position is used only when
 * the host there still has that id, otherwise the index is rebuilt. An id the index was just
 * built without is not in that list: asking again does not rebuild it.
 */
const positions = new Map<string, { list: readonly MemoHost[]; index: Map<string, number> }>();
const REMEMBERED_ROLLOUTS = 8;

export function hostPosition(state: { id: string; hosts: readonly MemoHost[] }, hostId: string): number | undefined {
  const remembered = positions.get(state.id);
  const known = remembered?.index.get(hostId);
  if (known !== undefined && state.hosts[known]?.id === hostId) return known;
  if (known === undefined && remembered?.list === state.hosts) return undefined;
  const index = new Map(state.hosts.map((h, i) => [h.id, i]));
  positions.delete(state.id);
  positions.set(state.id, { list: state.hosts, index });
  if (positions.size > REMEMBERED_ROLLOUTS) positions.delete(positions.keys().next().value as string);
  return index.get(hostId);
}

/** The host list with the hosts at some positions replaced: edited in place when owned, a copy otherwise. */
export function withHostsAt<H extends MemoHost>(hosts: readonly H[], changes: ReadonlyMap<number, H>): H[] {
  if (isOwned(hosts)) {
    for (const [i, host] of changes) editInPlace(hosts as H[], i, host);
    return hosts as H[];
  }
  const copy = [...hosts];
  for (const [i, host] of changes) copy[i] = host;
  return copy;
}

/** The host list with some hosts replaced, found by position rather than by a pass over every host. */
export function withHostsChanged<H extends MemoHost>(state: { id: string; hosts: readonly H[] }, ids: readonly string[], change: (host: H) => H): H[] {
  const changes = new Map<number, H>();
  for (const id of ids) {
    const i = hostPosition(state, id);
    const host = i === undefined ? undefined : (changes.get(i) ?? state.hosts[i]);
    if (i !== undefined && host) changes.set(i, change(host));
  }
  return withHostsAt(state.hosts, changes);
}
