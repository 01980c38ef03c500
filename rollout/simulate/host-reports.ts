import type { HostEvent } from '../engine/transitions.ts';
import { BASE_VERSION, TARGET_VERSION } from './fleet-hosts.ts';

/** What the driver saw happen to a host. */
export const PATCHED = 0;
export const NO_ANSWER = 1;
export const DISK_FULL = 2;
export const HOST_LOST = 3;
export const ROLLED_BACK = 4;

const FAILURES = ['', 'the host did not answer', 'dpkg: No space left on device', 'the host went away mid-patch'];

/**
 * Host events the driver saw since the engine last looked, kept as two numbers each and made into
 * the engine's events only when it looks: a million events waiting for the next tick as objects
 * would outlive the young generation and be copied for nothing.
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
   * The reports so far, leaving none: the hosts' positions and the events about them (`idAt` names
   * the host at a position), in the order they came, or in position order when `byPosition` (the
   * engine and the check runner then go through their memory in order; a host's own events keep
   * their order).
   */
  take(idAt: (position: number) => string, byPosition: boolean): { events: HostEvent[]; positions: number[] } {
    const order = byPosition ? sortedByPosition(this.hosts) : null;
    const positions = order ? order.map((k) => this.hosts[k]!) : this.hosts;
    const what = order ? order.map((k) => this.what[k]!) : this.what;
    const events = positions.map((p, k): HostEvent => {
      const hostId = idAt(p);
      const happened = what[k]!;
      if (happened === PATCHED) return { type: 'patched', hostId, version: TARGET_VERSION };
      if (happened === ROLLED_BACK) return { type: 'rolled-back', hostId, version: BASE_VERSION };
      return { type: 'patch-failed', hostId, version: BASE_VERSION, reason: FAILURES[happened]! };
    });
    this.hosts = [];
    this.what = [];
    return { events, positions };
  }
}

// Position and arrival packed in one number for a native sort; arrivals are below 2^21 a tick.
const ARRIVALS = 2 ** 21;

/** The order of the reports by position, reports of one host in the order they came. */
function sortedByPosition(positions: readonly number[]): number[] {
  if (positions.length >= ARRIVALS) return positions.map((_, k) => k).sort((a, b) => positions[a]! - positions[b]! || a - b);
  const packed = Float64Array.from(positions, (p, k) => p * ARRIVALS + k).sort();
  return Array.from(packed, (key) => key % ARRIVALS);
}
