import type { Notification } from '../../lab/notify/notification.ts';
import { WebhookNotifier } from '../../lab/notify/webhook-notifier.ts';
import { webhookTargetsFrom } from '../../lab/notify/webhook-targets.ts';
import type { Progress } from '../../lab/progress.ts';

/**
 * Where a scheduled run that a worker ran sends its notifications: this worker's PATCHLAB_WEBHOOKS,
 * as `serve` would send them from its own; a failed post is this worker's progress line, not a retry of the run.
 */
export function workerNotifier(progress: Progress): (notification: Notification) => void {
  const notifier = new WebhookNotifier({ targets: webhookTargetsFrom(), log: progress });
  return (notification) => notifier.notify(notification);
}
