import type { LabReport } from '../run/report.ts';
import type { LabRunSummary } from './lab-run-store.ts';

/** A lab run's summary columns, as every lab-run store names them; the report itself is kept whole as JSON. */
export type LabRunRow = { run_id: string; image: string; verdict: LabRunSummary['verdict']; started_at: string; duration_ms: number };

export function labRunRow(report: LabReport): LabRunRow & { report: string } {
  return {
    run_id: report.runId,
    image: report.image.name,
    verdict: report.verdict,
    started_at: report.startedAt,
    duration_ms: report.durationMs,
    // As the lab writes report.json: its optional fields may hold undefined, which JSON leaves out.
    report: JSON.stringify(report),
  };
}

export const labRunSummary = (row: LabRunRow): LabRunSummary => ({
  runId: row.run_id,
  image: row.image,
  verdict: row.verdict,
  startedAt: row.started_at,
  durationMs: row.duration_ms,
});
