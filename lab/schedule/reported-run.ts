import type { Notification } from '../notify/notification.ts';
import { bisectNotifications, scheduleNotification } from '../notify/run-notifications.ts';
import type { SightingStore } from '../sightings/sighting-store.ts';
import { sightingsOfScheduleRun } from '../sightings/sightings-of.ts';
import { runSchedule, type ScheduledRunOptions } from './scheduled-run.ts';
import type { ScheduleRunRecord } from './schedule-store.ts';
import type { ScheduleSpec } from './spec.ts';

export interface ReportedRunOptions extends ScheduledRunOptions {
  store: ScheduledRunOptions['store'] & SightingStore;
  notify: (notification: Notification) => void;
}

/**
 * A scheduled run and what follows it, the same in `serve` and on a worker: its notifications
 * (the run's and each bisection's) and the updates it saw pending, noted as sightings.
 */
export async function runScheduleAndReport(spec: ScheduleSpec, options: ReportedRunOptions): Promise<ScheduleRunRecord> {
  const run = await runSchedule(spec, options);
  const notification = scheduleNotification(run);
  if (notification) options.notify(notification);
  for (const bisected of bisectNotifications(run)) options.notify(bisected);
  const seen = sightingsOfScheduleRun(run);
  await options.store.noteSightings(seen.updates, seen.at, seen.seenBy);
  return run;
}
