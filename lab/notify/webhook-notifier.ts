import pRetry, { AbortError } from 'p-retry';
import { slackBody, type Notification } from './notification.ts';
import { redact, type WebhookTarget } from './webhook-targets.ts';

export type Post = (url: string, body: unknown, signal: AbortSignal) => Promise<{ status: number }>;

export interface NotifierOptions {
  targets: readonly WebhookTarget[];
  /** Where a delivery that failed for good is said; never the URL's secret part. */
  log: (message: string) => void;
  post?: Post;
  /** Tries after the first; with the backoff below, about a minute in all. */
  retries?: number;
  minTimeoutMs?: number;
  timeoutMs?: number;
}

const postJson: Post = async (url, body, signal) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  await res.body?.cancel();
  return { status: res.status };
};

/**
 * Posts each notification to every webhook in the background: `notify` returns at once, so a slow
 * or dead receiver never holds up a rollout. A failed delivery is retried with exponential
 * backoff (a 4xx other than 429 is not: the receiver refused the body), then logged and dropped.
 */
export class WebhookNotifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: NotifierOptions) {}

  notify(notification: Notification): void {
    for (const target of this.options.targets) {
      const delivery = this.deliver(target, notification).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
  }

  /**
   * Resolves when every delivery so far has succeeded or given up (for a clean shutdown, and for
   * tests), or after `limitMs`, so a dead receiver never keeps a finished command from exiting.
   */
  async idle(limitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const all = (async () => {
      while (this.pending.size > 0) await Promise.all([...this.pending]);
    })();
    if (!Number.isFinite(limitMs)) return all;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
    clearTimeout(timer);
  }

  private async deliver(target: WebhookTarget, notification: Notification): Promise<void> {
    const post = this.options.post ?? postJson;
    const body = target.format === 'slack' ? slackBody(notification) : notification;
    try {
      await pRetry(
        async () => {
          const { status } = await post(target.url, body, AbortSignal.timeout(this.options.timeoutMs ?? 10_000));
          if (status >= 200 && status < 300) return;
          const error = new Error(`answered ${status}`);
          if (status >= 400 && status < 500 && status !== 429) throw new AbortError(error);
          throw error;
        },
        { retries: this.options.retries ?? 5, minTimeout: this.options.minTimeoutMs ?? 1_000, factor: 2 },
      );
    } catch (error) {
      this.options.log(`webhook ${redact(target.url)}: ${notification.kind} of ${notification.subject} not delivered: ${(error as Error).message}`);
    }
  }
}
