import { createHash } from 'node:crypto';
import { html, path, type SafeHtml } from '../html.ts';

/*
 * The live section's poll sends only the parts that changed. The poller's address carries a short
 * digest of each part as the page shows it; the answer is nothing at all (204) when every part
 * renders the same again, or the changed parts alone, each morphed into its place, and a poller
 * with the new digests. Digests of the rendered markup, not of store versions: a countdown or an
 * "ago" changes with the clock alone, and a part that reads the same is not sent.
 */

/** The parts of the live section, each with the id its wrapper carries, in the order shown. */
export const LIVE_PARTS = ['summary', 'waiting', 'actions', 'rings', 'chart', 'hosts'] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

const DIGEST = /^[A-Za-z0-9_-]{8}$/;

/** Digests already taken: a part rendered once and kept (rollout-page.ts) is sent to many polls. */
const digests = new WeakMap<SafeHtml, string>();

export function digestOf(markup: SafeHtml): string {
  let digest = digests.get(markup);
  if (digest === undefined) {
    digest = createHash('sha1').update(markup.value).digest('base64url').slice(0, 8);
    digests.set(markup, digest);
  }
  return digest;
}

export function partVersions(parts: Record<LivePart, SafeHtml>): string[] {
  return LIVE_PARTS.map((name) => digestOf(parts[name]));
}

/** The digests a poll names, one per part, or an error naming the field and what was expected. */
export function parseSeen(value: unknown): string[] | Error {
  const digests = typeof value === 'string' ? value.split('.') : [];
  if (digests.length !== LIVE_PARTS.length || !digests.every((d) => DIGEST.test(d))) {
    return new Error(`seen: expected the ${LIVE_PARTS.length} digests the page's poller sends (8 characters of A-Z, a-z, 0-9, _ or -, separated by dots)`);
  }
  return digests;
}

export function livePart(name: LivePart, markup: SafeHtml): SafeHtml {
  return html`<div class="live-part" id="live-${name}">${markup}</div>`;
}

/** Polls for changes while the rollout can still change; an inert element once it cannot, which ends the polling. */
export function livePoller(id: string, pollMs: number, finished: boolean, versions: readonly string[]): SafeHtml {
  if (finished) return html`<div id="live-poller" hidden></div>`;
  return html`<div id="live-poller" hidden hx-get="${path`/rollouts/${id}/live`}?seen=${versions.join('.')}" hx-trigger="every ${pollMs}ms" hx-swap="outerHTML" hx-status:4xx="swap:none" hx-status:5xx="swap:none"></div>`;
}

/** What a poll that has seen `seen` needs: null when nothing changed, else the new poller and the changed parts. */
export function liveChanges(parts: Record<LivePart, SafeHtml>, seen: readonly string[], poller: (versions: readonly string[]) => SafeHtml): SafeHtml | null {
  const versions = partVersions(parts);
  const changed = LIVE_PARTS.filter((_, i) => versions[i] !== seen[i]);
  if (changed.length === 0) return null;
  return html`${poller(versions)}${changed.map((name) => html`<hx-partial hx-target="#live-${name}" hx-swap="outerMorph">${livePart(name, parts[name])}</hx-partial>`)}`;
}
