/** What people are told of, without watching the page: a rollout needs them or ended, a lab or scheduled run failed. */
export type NotificationKind =
  | 'rollout.awaiting-approval'
  | 'rollout.paused'
  | 'rollout.rolled-back'
  | 'rollout.completed'
  | 'lab-run.failed'
  | 'schedule.failed'
  | 'bisect.finished';

export interface Notification {
  kind: NotificationKind;
  /** The rollout, lab run, schedule or bisection it is about. */
  subject: string;
  /** One line a person reads: what happened and why. */
  text: string;
  /** ISO time it happened. */
  at: string;
  /** Figures a receiver may act on (ring, phase, verdict, reasons). */
  details: Record<string, unknown>;
}

/** A Slack-compatible body (incoming webhooks read `text`); other chat tools that take the same shape work too. */
export function slackBody(notification: Notification): { text: string } {
  return { text: `patchlab: ${notification.text}` };
}
