import type { PackageVersion } from '../schedule/schedule-store.ts';

/** When patchlab first saw one update pending (a package at one candidate version), and where. */
export interface UpdateSighting extends PackageVersion {
  firstSeenAt: number;
  /** What saw it first: "schedule nightly", "scan of web-01", "rollout rollout-…". */
  seenBy: string;
}

/**
 * The first sighting of every update, for a minimum age ("approve updates once they have been
 * upgradable for N days"). Written by whatever discovers pending updates; only the earliest
 * sighting of each package version is kept, whatever order they are noted in.
 */
export interface SightingStore {
  noteSightings(updates: readonly PackageVersion[], at: number, seenBy: string): Promise<void>;
  /** The first sightings of those of `updates` seen at all, in the order asked. */
  firstSightings(updates: readonly PackageVersion[]): Promise<UpdateSighting[]>;
}

type SightingRow = { package: string; version: string; first_seen_at: number | string; seen_by: string };

export const sightingOfRow = (r: SightingRow): UpdateSighting => ({ name: r.package, version: r.version, firstSeenAt: Number(r.first_seen_at), seenBy: r.seen_by });

/** The rows asked for, in the order asked, each once. */
export function inAskedOrder(updates: readonly PackageVersion[], rows: readonly SightingRow[]): UpdateSighting[] {
  const found = new Map(rows.map((r) => [`${r.package}=${r.version}`, sightingOfRow(r)]));
  const keys = [...new Set(updates.map((u) => `${u.name}=${u.version}`))];
  return keys.flatMap((k) => (found.has(k) ? [found.get(k)!] : []));
}
