import { editInPlace, knownSummary, summaryOf } from './host-summary.ts';
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

/** Where a host is, from a position its caller gave (used when the host there has that id) or else looked up. */
export function positionOf(state: { id: string; hosts: readonly MemoHost[] }, hostId: string, hint: number | undefined): number | undefined {
  return hint !== undefined && state.hosts[hint]?.id === hostId ? hint : hostPosition(state, hostId);
}

/*
 * Positions of the hosts a patch-hosts decision names, noted when the engine picks them, so that
 * applying the decision finds them without a lookup by id. Keyed by the decision's own list: a
 * decision that was stored and read back is looked up as any other.
 */
const decided = new WeakMap<readonly string[], readonly number[]>();

export function notePositions(hostIds: readonly string[], positions: readonly number[]): void {
  decided.set(hostIds, positions);
}

export function notedPositions(hostIds: readonly string[]): readonly number[] | undefined {
  return decided.get(hostIds);
}

/**
 * Changes to a host list: on a copy made at the first change, or, on an owned list, in place,
 * host objects included. An owned list is not put back when a transition fails halfway (a copy
 * of every host edited would cost as much as the edits): its holder stops using it.
 */
export interface HostEdits<H> {
  get(i: number): H | undefined;
  /**
   * The host at i with these fields changed: a new object on a copy, the same object edited on an
   * owned list, where the fields may be shared by every host a transition changes alike.
   */
  update(i: number, fields: Partial<H>): void;
  readonly changed: boolean;
  /** The list with the changes. */
  result(): H[];
}

export function editHosts<H extends MemoHost>(hosts: readonly H[]): HostEdits<H> {
  if (isOwned(hosts)) {
    const list = hosts as H[];
    let changed = false;
    // Found once: nothing makes a summary of the list while one transition edits it.
    let summary = knownSummary(list);
    return {
      get: (i) => list[i],
      update(i, fields) {
        summary = editInPlace(list, i, fields, summary);
        changed = true;
      },
      get changed() {
        return changed;
      },
      result: () => list,
    };
  }
  let copy: H[] | null = null;
  return {
    get: (i) => (copy ?? hosts)[i],
    update(i, fields) {
      copy ??= [...hosts];
      copy[i] = { ...copy[i]!, ...fields };
    },
    get changed() {
      return copy !== null;
    },
    result: () => copy ?? [...hosts],
  };
}

/** The host list with the same fields changed on some hosts, found by position (from `positions` when given, parallel to the ids) rather than by a pass over every host. */
export function withHostsChanged<H extends MemoHost>(
  state: { id: string; hosts: readonly H[] },
  ids: readonly string[],
  fields: Partial<H>,
  positions?: readonly number[],
): H[] {
  const edits = editHosts(state.hosts);
  ids.forEach((id, k) => {
    const i = positionOf(state, id, positions?.[k]);
    const host = i === undefined ? undefined : edits.get(i);
    if (i !== undefined && host) edits.update(i, fields);
  });
  return edits.result();
}
