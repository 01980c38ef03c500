import type Database from 'better-sqlite3';
import type { HoldEvent, HoldStore } from './hold-store.ts';
import type { Hold } from './holds.ts';

type HoldRow = { pattern: string; reason: string; held_by: string; held_at: number };
type EventRow = { pattern: string; action: 'hold' | 'lift'; actor: string; reason: string; at: number };

export const holdOfRow = (r: HoldRow): Hold => ({ pattern: r.pattern, reason: r.reason, by: r.held_by, at: r.held_at, source: 'store' });
export const eventOfRow = (r: EventRow): HoldEvent => ({ pattern: r.pattern, action: r.action, by: r.actor, reason: r.reason, at: r.at });

export class SqliteHoldStore implements HoldStore {
  constructor(private readonly db: Database.Database) {}

  async listHolds(): Promise<Hold[]> {
    return this.db.prepare<[], HoldRow>('SELECT pattern, reason, held_by, held_at FROM holds ORDER BY pattern').all().map(holdOfRow);
  }

  async addHold(hold: Omit<Hold, 'source'>): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO holds (pattern, reason, held_by, held_at) VALUES (?, ?, ?, ?) ON CONFLICT (pattern) DO UPDATE SET reason = excluded.reason, held_by = excluded.held_by, held_at = excluded.held_at')
        .run(hold.pattern, hold.reason, hold.by, hold.at);
      this.db.prepare("INSERT INTO hold_events (pattern, action, actor, reason, at) VALUES (?, 'hold', ?, ?, ?)").run(hold.pattern, hold.by, hold.reason, hold.at);
    })();
  }

  async liftHold(pattern: string, by: string, reason: string, at: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.db.prepare('DELETE FROM holds WHERE pattern = ?').run(pattern).changes === 0) return false;
      this.db.prepare("INSERT INTO hold_events (pattern, action, actor, reason, at) VALUES (?, 'lift', ?, ?, ?)").run(pattern, by, reason, at);
      return true;
    })();
  }

  async holdEvents(): Promise<HoldEvent[]> {
    return this.db.prepare<[], EventRow>('SELECT pattern, action, actor, reason, at FROM hold_events ORDER BY at, rowid').all().map(eventOfRow);
  }
}
