import type { LabReport } from '../run/report.ts';
import type { ScheduleRunRecord } from '../schedule/schedule-store.ts';
import type { Notification } from './notification.ts';

/** A lab run that did not pass, as people are told of it; null for a pass. Pure. */
export function labRunNotification(report: LabReport): Notification | null {
  if (report.verdict === 'pass') return null;
  return {
    kind: 'lab-run.failed',
    subject: report.runId,
    at: report.finishedAt,
    text: `lab run ${report.runId} of ${report.image.name} (patch ${report.patch.request.join(' ')}): ${report.verdict}: ${report.reasons.join('; ')}`,
    details: { runId: report.runId, image: report.image.name, verdict: report.verdict, reasons: report.reasons },
  };
}

/** A scheduled run with an image that did not pass; null when every image passed. Pure. */
export function scheduleNotification(run: ScheduleRunRecord): Notification | null {
  const failed = run.images.filter((i) => i.verdict !== 'pass');
  if (failed.length === 0) return null;
  return {
    kind: 'schedule.failed',
    subject: run.schedule,
    at: new Date(run.finishedAt).toISOString(),
    text: `scheduled run ${run.schedule}: ${failed.map((i) => `${i.image} ${i.verdict}${i.runId ? ` (lab run ${i.runId})` : ''}${i.error ? `: ${i.error}` : ''}`).join(', ')}`,
    details: { schedule: run.schedule, images: failed.map((i) => ({ image: i.image, verdict: i.verdict, runId: i.runId ?? null })) },
  };
}
