import type { HostScan } from './host-scan.ts';

/** Per pending package of one host: the ISO time a scan first saw it pending. */
export type FirstSeen = Record<string, string>;

/**
 * The map after a scan: a package still pending keeps the time it was first seen (even if its
 * candidate moved on: the host has been missing that package's update since then), a newly
 * pending one gets the scan's time, one no longer pending is dropped. A scan that failed says
 * nothing about what is pending and leaves the map as it was. Pure.
 */
export function nextFirstSeen(previous: FirstSeen, scan: HostScan): FirstSeen {
  if (scan.error || !scan.pending) return previous;
  return Object.fromEntries(scan.pending.map((p) => [p.name, previous[p.name] ?? scan.scannedAt]));
}
