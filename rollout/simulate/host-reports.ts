import type { HostEvent, HostEventStream } from '../engine/transitions.ts';
import { BASE_VERSION, TARGET_VERSION } from './fleet-hosts.ts';

/** What the driver saw happen to a host. */
export const PATCHED = 0;
export const NO_ANSWER = 1;
export const DISK_FULL = 2;
export const HOST_LOST = 3;
export const ROLLED_BACK = 4;

const FAILURES = ['', 'the host did not answer', 'dpkg: No space left on device', 'the host went away mid-patch'];

/**
 * Host events the driver saw since the engine last looked, kept as two numbers each and handed
 * to the engine as a stream of events (transitions.ts) when it looks: a million events waiting
 * for the next tick as objects would outlive the young generation and be copied for nothing.
 */
export class HostReports {
  private hosts: number[] = [];
  private what: number[] = [];

  get size(): number {
    return this.hosts.length;
  }

  add(i: number, what: number): void {
    this.hosts.push(i);
    this.what.push(what);
  }

  /**
   * The reports so far, leaving none: the hosts' positions, what happened to each, and the events
   * about them (`idAt` names the host at a position), in the order they came, or in position
   * order when `byPosition` (the engine and the check runner then go through their memory in
   * order; a host's own events keep their order).
   */
  take(idAt: (position: number) => string, byPosition: boolean): TakenReports {
    const n = this.hosts.length;
    const positions = new Int32Array(n);
    const what = new Uint8Array(n);
    if (byPosition) {
      const order = sortedByPosition(this.hosts);
      for (let k = 0; k < n; k++) {
        positions[k] = this.hosts[order[k]!]!;
        what[k] = this.what[order[k]!]!;
      }
    } else {
      positions.set(this.hosts);
      what.set(this.what);
    }
    this.hosts = [];
    this.what = [];
    return { positions, what, events: eventStream(positions, what, idAt) };
  }
}

export interface TakenReports {
  positions: Int32Array;
  /** PATCHED, NO_ANSWER, DISK_FULL, HOST_LOST or ROLLED_BACK, by report. */
  what: Uint8Array;
  events: HostEventStream;
}

/** The events one at a time, in three objects reused from one to the next. */
function eventStream(positions: Int32Array, what: Uint8Array, idAt: (position: number) => string): HostEventStream {
  const patched: HostEvent & { type: 'patched' } = { type: 'patched', hostId: '', version: TARGET_VERSION };
  const rolledBack: HostEvent & { type: 'rolled-back' } = { type: 'rolled-back', hostId: '', version: BASE_VERSION };
  const failed: HostEvent & { type: 'patch-failed' } = { type: 'patch-failed', hostId: '', version: BASE_VERSION, reason: '' };
  return {
    count: positions.length,
    eventAt(k: number): HostEvent {
      const hostId = idAt(positions[k]!);
      const happened = what[k]!;
      const event = happened === PATCHED ? patched : happened === ROLLED_BACK ? rolledBack : failed;
      event.hostId = hostId;
      if (event === failed) failed.reason = FAILURES[happened]!;
      return event;
    },
  };
}

// Position and arrival packed in one number for a native sort; arrivals are below 2^21 a tick.
const ARRIVALS = 2 ** 21;

/** The order of the reports by position, reports of one host in the order they came. */
function sortedByPosition(positions: readonly number[]): ArrayLike<number> {
  const n = positions.length;
  if (n >= ARRIVALS) return positions.map((_, k) => k).sort((a, b) => positions[a]! - positions[b]! || a - b);
  const packed = new Float64Array(n);
  for (let k = 0; k < n; k++) packed[k] = positions[k]! * ARRIVALS + k;
  packed.sort();
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = packed[k]! % ARRIVALS;
  return order;
}
