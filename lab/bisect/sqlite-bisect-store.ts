import type Database from 'better-sqlite3';
import { bisectRow, bisectSummary, type BisectRow, type BisectStore, type BisectSummary } from './bisect-store.ts';
import type { LabBisectReport } from './lab-bisect.ts';

export class SqliteBisectStore implements BisectStore {
  constructor(private readonly db: Database.Database) {}

  async saveBisect(report: LabBisectReport): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO bisects (bisect_id, run_id, image, status, started_at, report) VALUES (@bisect_id, @run_id, @image, @status, @started_at, @report)
         ON CONFLICT (bisect_id) DO UPDATE SET run_id = excluded.run_id, image = excluded.image, status = excluded.status, started_at = excluded.started_at, report = excluded.report`,
      )
      .run(bisectRow(report));
  }

  async loadBisect(bisectId: string): Promise<LabBisectReport | undefined> {
    const report = this.db.prepare<[string], string>('SELECT report FROM bisects WHERE bisect_id = ?').pluck().get(bisectId);
    return report === undefined ? undefined : (JSON.parse(report) as LabBisectReport);
  }

  async listBisects({ runId, limit = -1 }: { runId?: string; limit?: number } = {}): Promise<BisectSummary[]> {
    return this.db
      .prepare<[string | null, string | null, number], BisectRow>(
        'SELECT bisect_id, run_id, image, status, started_at FROM bisects WHERE ? IS NULL OR run_id = ? ORDER BY started_at DESC, bisect_id LIMIT ?',
      )
      .all(runId ?? null, runId ?? null, limit)
      .map(bisectSummary);
  }
}
