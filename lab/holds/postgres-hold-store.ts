import type pg from 'pg';
import { inTransaction } from '../store/postgres-transaction.ts';
import type { HoldEvent, HoldStore } from './hold-store.ts';
import type { Hold } from './holds.ts';
import { eventOfRow, holdOfRow } from './sqlite-hold-store.ts';

export class PostgresHoldStore implements HoldStore {
  constructor(private readonly pool: pg.Pool) {}

  async listHolds(): Promise<Hold[]> {
    const { rows } = await this.pool.query('SELECT pattern, reason, held_by, held_at FROM holds ORDER BY pattern');
    return rows.map(holdOfRow);
  }

  async addHold(hold: Omit<Hold, 'source'>): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(
        'INSERT INTO holds (pattern, reason, held_by, held_at) VALUES ($1, $2, $3, $4) ON CONFLICT (pattern) DO UPDATE SET reason = excluded.reason, held_by = excluded.held_by, held_at = excluded.held_at',
        [hold.pattern, hold.reason, hold.by, hold.at],
      );
      await client.query("INSERT INTO hold_events (pattern, action, actor, reason, at) VALUES ($1, 'hold', $2, $3, $4)", [hold.pattern, hold.by, hold.reason, hold.at]);
    });
  }

  async liftHold(pattern: string, by: string, reason: string, at: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query('DELETE FROM holds WHERE pattern = $1', [pattern]);
      if (rowCount === 0) return false;
      await client.query("INSERT INTO hold_events (pattern, action, actor, reason, at) VALUES ($1, 'lift', $2, $3, $4)", [pattern, by, reason, at]);
      return true;
    });
  }

  async holdEvents(): Promise<HoldEvent[]> {
    const { rows } = await this.pool.query('SELECT pattern, action, actor, reason, at FROM hold_events ORDER BY at, id');
    return rows.map(eventOfRow);
  }
}
