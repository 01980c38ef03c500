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

/**
 * Each bisection a scheduled run did, as people are told of it: the culprits and the checks they
 * break, how many lab runs it took, the hold it proposes and the run that proves the rest passes;
 * or why it stopped. Pure.
 */
export function bisectNotifications(run: ScheduleRunRecord): Notification[] {
  return run.images.flatMap(({ image, runId, bisect }) => {
    if (!bisect) return [];
    const found =
      bisect.culprits.length === 0
        ? 'no culprit found'
        : bisect.culprits.map((c) => `culprit ${c.items.join(' + ')} breaks: ${c.breaks.join('; ')}`).join('; ');
    const hold = [...(bisect.hold.length > 0 ? [`proposed hold: ${bisect.hold.join(' ')}`] : []), ...(bisect.leaveOut.length > 0 ? [`leave out: ${bisect.leaveOut.join(' ')}`] : [])];
    const rest = bisect.restRunId ? [`the rest passes in lab run ${bisect.restRunId}`] : [];
    const parts = bisect.error ? [`stopped: ${bisect.error}`, ...(bisect.culprits.length > 0 ? [found] : [])] : [found, ...hold, ...rest];
    return [
      {
        kind: 'bisect.finished' as const,
        subject: bisect.bisectId,
        at: new Date(run.finishedAt).toISOString(),
        text: `bisection ${bisect.bisectId} of ${image}'s failed lab run ${runId ?? ''} (scheduled run ${run.schedule}), ${bisect.testsRun} lab run(s): ${parts.join('; ')}`,
        details: { schedule: run.schedule, image, runId: runId ?? null, ...bisect },
      },
    ];
  });
}
