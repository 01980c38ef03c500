/** Where notifications go: PATCHLAB_WEBHOOKS, comma separated; `slack=URL` posts a Slack-compatible body, a bare URL the notification as JSON. */
export interface WebhookTarget {
  url: string;
  format: 'json' | 'slack';
}

export function webhookTargetsFrom(env: NodeJS.ProcessEnv = process.env): WebhookTarget[] {
  const raw = env.PATCHLAB_WEBHOOKS ?? '';
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const slack = entry.startsWith('slack=');
      const url = slack ? entry.slice('slack='.length) : entry;
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        throw new Error(`PATCHLAB_WEBHOOKS: expected http(s) URLs, each optionally as slack=URL, separated by commas; got ${JSON.stringify(redact(entry))}`);
      }
      return { url, format: slack ? 'slack' : 'json' };
    });
}

/** A webhook URL often holds its secret in the path or the query: errors and logs show the host only. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url.replace(/^slack=/, ''));
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '(not a URL)';
  }
}
