import type pg from 'pg';
import type { PackageVersion } from '../schedule/schedule-store.ts';
import { inAskedOrder, type SightingStore, type UpdateSighting } from './sighting-store.ts';

export class PostgresSightingStore implements SightingStore {
  constructor(private readonly pool: pg.Pool) {}

  async noteSightings(updates: readonly PackageVersion[], at: number, seenBy: string): Promise<void> {
    if (updates.length === 0) return;
    // One statement for the whole list; an earlier sighting noted late still wins.
    await this.pool.query(
      `INSERT INTO update_sightings (package, version, first_seen_at, seen_by)
       SELECT DISTINCT p, v, $3::bigint, $4 FROM unnest($1::text[], $2::text[]) AS u(p, v)
       ON CONFLICT (package, version) DO UPDATE SET first_seen_at = excluded.first_seen_at, seen_by = excluded.seen_by
       WHERE excluded.first_seen_at < update_sightings.first_seen_at`,
      [updates.map((u) => u.name), updates.map((u) => u.version), at, seenBy],
    );
  }

  async firstSightings(updates: readonly PackageVersion[]): Promise<UpdateSighting[]> {
    if (updates.length === 0) return [];
    const { rows } = await this.pool.query(
      `SELECT s.package, s.version, s.first_seen_at, s.seen_by FROM update_sightings s
       JOIN unnest($1::text[], $2::text[]) AS u(p, v) ON s.package = u.p AND s.version = u.v`,
      [updates.map((u) => u.name), updates.map((u) => u.version)],
    );
    return inAskedOrder(updates, rows);
  }
}
