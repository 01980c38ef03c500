import type Database from 'better-sqlite3';
import type { LabReport } from '../run/report.ts';
import { labRunRow, labRunSummary, type LabRunRow } from './lab-run-rows.ts';
import type { LabRunStore, LabRunSummary } from './lab-run-store.ts';

export class SqliteLabRunStore implements LabRunStore {
  private readonly upsertLabRun;
  private readonly selectLabRun;
  private readonly selectLabRuns;
  private readonly selectLabRunsOfImage;

  constructor(db: Database.Database) {
    this.upsertLabRun = db.prepare<LabRunRow & { report: string }>(
      `INSERT INTO lab_runs (run_id, image, verdict, started_at, duration_ms, report)
       VALUES (@run_id, @image, @verdict, @started_at, @duration_ms, @report)
       ON CONFLICT (run_id) DO UPDATE SET image = excluded.image, verdict = excluded.verdict,
         started_at = excluded.started_at, duration_ms = excluded.duration_ms, report = excluded.report`,
    );
    this.selectLabRun = db.prepare<[string], string>('SELECT report FROM lab_runs WHERE run_id = ?').pluck();
    const labRunColumns = 'run_id, image, verdict, started_at, duration_ms';
    this.selectLabRuns = db.prepare<[number], LabRunRow>(`SELECT ${labRunColumns} FROM lab_runs ORDER BY started_at DESC, run_id LIMIT ?`);
    this.selectLabRunsOfImage = db.prepare<[string, number], LabRunRow>(
      `SELECT ${labRunColumns} FROM lab_runs WHERE image = ? ORDER BY started_at DESC, run_id LIMIT ?`,
    );
  }

  async saveLabRun(report: LabReport): Promise<void> {
    this.upsertLabRun.run(labRunRow(report));
  }

  async loadLabRun(runId: string): Promise<LabReport | undefined> {
    const report = this.selectLabRun.get(runId);
    return report === undefined ? undefined : (JSON.parse(report) as LabReport);
  }

  async listLabRuns({ image, limit = -1 }: { image?: string; limit?: number } = {}): Promise<LabRunSummary[]> {
    const rows = image === undefined ? this.selectLabRuns.all(limit) : this.selectLabRunsOfImage.all(image, limit);
    return rows.map(labRunSummary);
  }
}
