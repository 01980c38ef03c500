import type { LabBisectReport } from './lab-bisect.ts';

export interface BisectSummary {
  bisectId: string;
  /** The failing lab run it bisects. */
  runId: string;
  image: string;
  status: LabBisectReport['status'];
  startedAt: string;
}

/**
 * Where bisections are kept, saved again at each step while they run, so the page shows one as
 * it goes and a scheduled run's result outlives the process that ran it.
 */
export interface BisectStore {
  /** Saving a bisection again replaces it. */
  saveBisect(report: LabBisectReport): Promise<void>;
  loadBisect(bisectId: string): Promise<LabBisectReport | undefined>;
  /** Newest first; `runId` gives the bisections of one failing lab run. */
  listBisects(filter?: { runId?: string; limit?: number }): Promise<BisectSummary[]>;
}

/** A bisection's summary columns, as every bisect store names them; the report is kept whole as JSON. */
export type BisectRow = { bisect_id: string; run_id: string; image: string; status: BisectSummary['status']; started_at: string };

export function bisectRow(report: LabBisectReport): BisectRow & { report: string } {
  return { bisect_id: report.bisectId, run_id: report.runId, image: report.image, status: report.status, started_at: report.startedAt, report: JSON.stringify(report) };
}

export const bisectSummary = (row: BisectRow): BisectSummary => ({ bisectId: row.bisect_id, runId: row.run_id, image: row.image, status: row.status, startedAt: row.started_at });
