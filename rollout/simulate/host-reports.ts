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

  /** The reports so far as events about the hosts of `ids`, leaving none. */
  take(ids: readonly string[]): { events: HostEvent[]; hosts: number[] } {
    const hosts = this.hosts;
    const events = hosts.map((i, k): HostEvent => {
      const what = this.what[k]!;
      const hostId = ids[i]!;
      if (what === PATCHED) return { type: 'patched', hostId, version: TARGET_VERSION };
      if (what === ROLLED_BACK) return { type: 'rolled-back', hostId, version: BASE_VERSION };
      return { type: 'patch-failed', hostId, version: BASE_VERSION, reason: FAILURES[what]! };
    });
    this.hosts = [];
    this.what = [];
    return { events, hosts };
  }
}
