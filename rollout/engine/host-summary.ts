
/*
 * What the engine's passes over a host list keep asking, worked out once per list: the hosts of
 * each ring in state order, how many are in each phase, and which are still pending, in order.
 * A list its holder owns (owned-lists.ts) is edited in place; its summary is then kept up to date
 * edit by edit, and a journal of the positions edited in each ring tells the ring-health memo
 * which hosts to judge again, so that neither looks at the hosts nothing happened to.
 *
 * The summary sees hosts only by these few fields, so that state.ts can use it without a loop.
 */

export interface SummaryHost {
  id: string;
  ring: number;
  phase: string;
}

interface RingSummary {
  /** For each position in the ring, the host's position in the list. */
  inList: Int32Array;
  pending: number;
  patching: number;
  /** Positions in the ring of the hosts pending when the summary was made, in order; `head` skips those no longer pending. */
  pendingQueue: Int32Array;
  head: number;
  /** Positions in the ring edited in place since the summary was made, oldest first. */
  edits: number[];
}

export interface HostSummary<H extends SummaryHost> {
  byRing: H[][];
  /** For each position in the host list, the host's position in its ring. */
  positionInRing: Int32Array;
  patching: number;
  /** Hosts the patch may have reached: neither pending nor rolled back. */
  touched: number;
  rings: RingSummary[];
}

const summaries = new WeakMap<readonly SummaryHost[], HostSummary<SummaryHost>>();

/** One pass over a host list, however often decisions and transitions ask about it. */
/** The summary of a list, when one was made and still holds. */
export function knownSummary<H extends SummaryHost>(hosts: readonly H[]): HostSummary<H> | undefined {
  return summaries.get(hosts) as HostSummary<H> | undefined;
}

export function summaryOf<H extends SummaryHost>(hosts: readonly H[]): HostSummary<H> {
  let known = summaries.get(hosts) as HostSummary<H> | undefined;
  if (!known) {
    known = summarize(hosts);
    summaries.set(hosts, known as HostSummary<SummaryHost>);
  }
  return known;
}

function summarize<H extends SummaryHost>(hosts: readonly H[]): HostSummary<H> {
  // One pass over the hosts, each read once: a million of them are a million reads of memory.
  const byRing: H[][] = [];
  const inList: number[][] = [];
  const pendingQueue: number[][] = [];
  const ringPatching: number[] = [];
  const positionInRing = new Int32Array(hosts.length);
  let patching = 0;
  let touched = 0;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    const r = host.ring;
    const ring = (byRing[r] ??= []);
    const p = ring.length;
    positionInRing[i] = p;
    ring.push(host);
    (inList[r] ??= []).push(i);
    if (host.phase === 'pending') (pendingQueue[r] ??= []).push(p);
    else if (host.phase === 'patching') {
      ringPatching[r] = (ringPatching[r] ?? 0) + 1;
      patching++;
    }
    if (mayBeTouched(host)) touched++;
  }
  const rings = Array.from(byRing, (_, r): RingSummary => {
    const queue = pendingQueue[r] ?? [];
    return { inList: Int32Array.from(inList[r] ?? []), pending: queue.length, patching: ringPatching[r] ?? 0, pendingQueue: Int32Array.from(queue), head: 0, edits: [] };
  });
  return { byRing: Array.from(byRing, (ring = []) => ring), positionInRing, patching, touched, rings };
}

function mayBeTouched(host: { phase: string }): boolean {
  return host.phase !== 'pending' && host.phase !== 'rolled-back';
}

/**
 * Gives the host at `position` of a list edited in place the `fields`, and brings the
 * summary up to date (the one given, found once by a caller that makes many edits in a row);
 * returns it, or nothing once it no longer holds. The object stays where it is: the rings' lists still hold it, and a million
 * edits leave no million replaced objects for the collector to find. A host that moves to another
 * ring, or back to pending (no transition does either), makes the summary be worked out again.
 */
export function editInPlace<H extends SummaryHost>(
  hosts: H[],
  position: number,
  fields: Partial<H>,
  summary = summaries.get(hosts) as HostSummary<H> | undefined,
): HostSummary<H> | undefined {
  const target = hosts[position];
  // Positions come from the list itself: a host is always there.
  if (!target) throw new Error(`no host at position ${position} of the list to edit`);
  const ringBefore = target.ring;
  const phaseBefore = target.phase;
  Object.assign(target, fields);
  if (!summary) return undefined;
  const ring = summary.rings[ringBefore];
  if (!ring) {
    summaries.delete(hosts);
    return undefined;
  }
  ring.edits.push(summary.positionInRing[position]!);
  if (target.ring !== ringBefore || (target.phase === 'pending' && phaseBefore !== 'pending')) {
    // The ring's list and journal stay with whoever holds them; the rest is worked out again.
    summaries.delete(hosts);
    return undefined;
  }
  if (phaseBefore === 'pending') ring.pending--;
  if (phaseBefore === 'patching') {
    ring.patching--;
    summary.patching--;
  }
  if (target.phase === 'patching') {
    ring.patching++;
    summary.patching++;
  }
  summary.touched += Number(mayBeTouched(target)) - Number(phaseBefore !== 'pending' && phaseBefore !== 'rolled-back');
  return summary;
}

export interface PendingHosts<H> {
  count: number;
  /** The first `limit` of them in state order, with their positions in the host list. */
  first(limit: number): { hosts: H[]; positions: number[] };
}

/** The pending hosts of a ring. */
export function pendingOfRing<H extends SummaryHost>(hosts: readonly H[], ring: number): PendingHosts<H> {
  const summary = summaryOf(hosts);
  const counts = summary.rings[ring];
  const members = summary.byRing[ring];
  if (!counts || !members) return { count: 0, first: () => ({ hosts: [], positions: [] }) };
  const queue = counts.pendingQueue;
  while (counts.head < queue.length && members[queue[counts.head]!]!.phase !== 'pending') counts.head++;
  return {
    count: counts.pending,
    first: (limit) => {
      const found: H[] = [];
      const positions: number[] = [];
      for (let k = counts.head; k < queue.length && found.length < limit; k++) {
        const host = members[queue[k]!]!;
        if (host.phase !== 'pending') continue;
        found.push(host);
        positions.push(counts.inList[queue[k]!]!);
      }
      return { hosts: found, positions };
    },
  };
}

/** The position in the list of the host at a position in its ring. */
export function listPosition(hosts: readonly SummaryHost[], ring: number, p: number): number {
  return summaryOf(hosts).rings[ring]?.inList[p] ?? -1;
}

/** Hosts of a ring pending or patching: the ring is not fully patched yet. */
export function ringBusy(hosts: readonly SummaryHost[], ring: number): boolean {
  const counts = summaryOf(hosts).rings[ring];
  return counts !== undefined && counts.pending + counts.patching > 0;
}

/**
 * The positions in the ring edited in place so far, oldest first: the list only grows. A memo
 * keeps the journal of the list it last looked at with how much of it it read, because a list
 * that was edited after that may since have been replaced by a copy.
 */
export function ringJournal(hosts: readonly SummaryHost[], ring: number): readonly number[] {
  return summaryOf(hosts).rings[ring]?.edits ?? [];
}
