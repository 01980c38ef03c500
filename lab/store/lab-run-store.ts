import type { LabReport } from '../run/report.ts';
import type { Verdict } from '../run/verdict.ts';

export interface LabRunSummary {
  runId: string;
  /** Image name, without the tag. */
  image: string;
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
}

/** Where lab runs' reports are kept, for the web page, schedules and `lab bisect`. */
export interface LabRunStore {
  /** Saving a run again replaces it, so a retried save is harmless. */
  saveLabRun(report: LabReport): Promise<void>;
  loadLabRun(runId: string): Promise<LabReport | undefined>;
  /** Newest first; `image` is the image name without the tag. */
  listLabRuns(filter?: { image?: string; limit?: number }): Promise<LabRunSummary[]>;
}
