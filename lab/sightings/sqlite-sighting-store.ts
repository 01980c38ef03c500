import type Database from 'better-sqlite3';
import type { PackageVersion } from '../schedule/schedule-store.ts';
import { inAskedOrder, type SightingStore, type UpdateSighting } from './sighting-store.ts';

export class SqliteSightingStore implements SightingStore {
  constructor(private readonly db: Database.Database) {}

  async noteSightings(updates: readonly PackageVersion[], at: number, seenBy: string): Promise<void> {
    // An earlier sighting noted late (a scan's results stored after a rollout's) still wins.
    const note = this.db.prepare(
      `INSERT INTO update_sightings (package, version, first_seen_at, seen_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (package, version) DO UPDATE SET first_seen_at = excluded.first_seen_at, seen_by = excluded.seen_by
       WHERE excluded.first_seen_at < update_sightings.first_seen_at`,
    );
    this.db.transaction(() => {
      for (const u of updates) note.run(u.name, u.version, at, seenBy);
    })();
  }

  async firstSightings(updates: readonly PackageVersion[]): Promise<UpdateSighting[]> {
    const find = this.db.prepare<[string, string], { package: string; version: string; first_seen_at: number; seen_by: string }>(
      'SELECT package, version, first_seen_at, seen_by FROM update_sightings WHERE package = ? AND version = ?',
    );
    return inAskedOrder(updates, updates.flatMap((u) => find.all(u.name, u.version)));
  }
}
