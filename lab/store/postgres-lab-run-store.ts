import type pg from 'pg';
import type { LabReport } from '../run/report.ts';
import { sqlLimit } from './postgres-transaction.ts';
import { labRunRow, labRunSummary, type LabRunRow } from './lab-run-rows.ts';
import type { LabRunStore, LabRunSummary } from './lab-run-store.ts';

export class PostgresLabRunStore implements LabRunStore {
  constructor(private readonly pool: pg.Pool) {}

  async saveLabRun(report: LabReport): Promise<void> {
    const row = labRunRow(report);
    await this.pool.query(
      `INSERT INTO lab_runs (run_id, image, verdict, started_at, duration_ms, report) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id) DO UPDATE SET image = excluded.image, verdict = excluded.verdict,
         started_at = excluded.started_at, duration_ms = excluded.duration_ms, report = excluded.report`,
      [row.run_id, row.image, row.verdict, row.started_at, row.duration_ms, row.report],
    );
  }

  async loadLabRun(runId: string): Promise<LabReport | undefined> {
    const { rows } = await this.pool.query<{ report: string }>('SELECT report FROM lab_runs WHERE run_id = $1', [runId]);
    return rows[0] && (JSON.parse(rows[0].report) as LabReport);
  }

  async listLabRuns({ image, limit }: { image?: string; limit?: number } = {}): Promise<LabRunSummary[]> {
    const { rows } = await this.pool.query<LabRunRow>(
      `SELECT run_id, image, verdict, started_at, duration_ms FROM lab_runs
       WHERE $1::text IS NULL OR image = $1 ORDER BY started_at DESC, run_id LIMIT $2`,
      [image ?? null, sqlLimit(limit)],
    );
    return rows.map(labRunSummary);
  }
}
