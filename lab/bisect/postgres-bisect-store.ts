import type pg from 'pg';
import { sqlLimit } from '../store/postgres-transaction.ts';
import { bisectRow, bisectSummary, type BisectRow, type BisectStore, type BisectSummary } from './bisect-store.ts';
import type { LabBisectReport } from './lab-bisect.ts';

export class PostgresBisectStore implements BisectStore {
  constructor(private readonly pool: pg.Pool) {}

  async saveBisect(report: LabBisectReport): Promise<void> {
    const row = bisectRow(report);
    await this.pool.query(
      `INSERT INTO bisects (bisect_id, run_id, image, status, started_at, report) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (bisect_id) DO UPDATE SET run_id = excluded.run_id, image = excluded.image, status = excluded.status, started_at = excluded.started_at, report = excluded.report`,
      [row.bisect_id, row.run_id, row.image, row.status, row.started_at, row.report],
    );
  }

  async loadBisect(bisectId: string): Promise<LabBisectReport | undefined> {
    const { rows } = await this.pool.query<{ report: string }>('SELECT report FROM bisects WHERE bisect_id = $1', [bisectId]);
    return rows[0] && (JSON.parse(rows[0].report) as LabBisectReport);
  }

  async listBisects({ runId, limit }: { runId?: string; limit?: number } = {}): Promise<BisectSummary[]> {
    const { rows } = await this.pool.query<BisectRow>(
      `SELECT bisect_id, run_id, image, status, started_at FROM bisects
       WHERE $1::text IS NULL OR run_id = $1 ORDER BY started_at DESC, bisect_id LIMIT $2`,
      [runId ?? null, sqlLimit(limit)],
    );
    return rows.map(bisectSummary);
  }
}
