
/*
 * Memos for the engine's passes over the host list. The engine stays a pure function of plain
 * data, but with a hundred thousand hosts (the simulator) each decision and transition would
 * group the hosts by ring and count them several times, and build an id index. Transitions never
 * change a state in place (they return new objects and keep the unchanged ones), so a host list
 * seen before is known by its identity; a memo that cannot prove it still holds recomputes.
 *
 * The memos see hosts only by these few fields, so that state.ts can use them without a loop.
 */

interface MemoHost {
  id: string;
  ring: number;
  phase: string;
}

interface HostSummary<H extends MemoHost> {
  byRing: readonly H[][];
  patching: number;
}

const summaries = new WeakMap<readonly MemoHost[], HostSummary<MemoHost>>();

/** One pass over a host list, however often a decision and its transition ask about it. */
function summary<H extends MemoHost>(hosts: readonly H[]): HostSummary<H> {
  let known = summaries.get(hosts) as HostSummary<H> | undefined;
  if (!known) {
    const byRing: H[][] = [];
    let patching = 0;
    for (const host of hosts) {
      (byRing[host.ring] ??= []).push(host);
      if (host.phase === 'patching') patching++;
    }
    known = { byRing, patching };
    summaries.set(hosts, known);
  }
  return known;
}

/** The hosts of each ring, in state order. */
export function hostsByRing<H extends MemoHost>(hosts: readonly H[]): readonly (readonly H[])[] {
  return summary(hosts).byRing;
}

/** How many hosts are patching now. */
export function patchingCount(hosts: readonly MemoHost[]): number {
  return summary(hosts).patching;
}

/**
 * Host positions by id for the latest few rollouts. The order of a rollout's hosts never changes
 * after createRollout, so one index serves every later state of it; a position is used only when
 * the host there still has that id, otherwise the index is rebuilt.
 */
const positions = new Map<string, Map<string, number>>();
const REMEMBERED_ROLLOUTS = 8;

export function hostPosition(state: { id: string; hosts: readonly MemoHost[] }, hostId: string): number | undefined {
  const known = positions.get(state.id)?.get(hostId);
  if (known !== undefined && state.hosts[known]?.id === hostId) return known;
  const index = new Map(state.hosts.map((h, i) => [h.id, i]));
  positions.delete(state.id);
  positions.set(state.id, index);
  if (positions.size > REMEMBERED_ROLLOUTS) positions.delete(positions.keys().next().value as string);
  return index.get(hostId);
}

/** The host list with some hosts replaced, found by position rather than by a pass over every host. */
export function withHostsChanged<H extends MemoHost>(state: { id: string; hosts: readonly H[] }, ids: readonly string[], change: (host: H) => H): H[] {
  const hosts = [...state.hosts];
  for (const id of ids) {
    const i = hostPosition(state, id);
    const host = i === undefined ? undefined : hosts[i];
    if (i !== undefined && host) hosts[i] = change(host);
  }
  return hosts;
}
