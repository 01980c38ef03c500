import { formatDuration } from '../../rollout/engine/format.ts';
import { html, type SafeHtml } from '../html.ts';

/* How times, durations and shares read on the pages. Pure. */

/** "11:54:35", UTC as the store keeps it; the full date sits in the datetime attribute and the tooltip. */
export function clock(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}">${iso.slice(11, 19)}</time>`;
}

/** "2026-11-23 11:54 UTC". */
export function dateTime(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** "0.4 s", "42 s", "3 min 5 s", "2 h 10 min": to the second under an hour, since a soak counts down live. */
export function duration(ms: number): string {
  return formatDuration(ms, { precise: true });
}

export function ago(at: number, now: number): string {
  return now - at < 1000 ? 'just now' : `${duration(now - at)} ago`;
}

export function percent(share: number | null): string {
  if (share === null) return '–';
  const value = share * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} %`;
}

/** A figure as the timeline shows it: shares and p-values stay short, booleans read as words. */
export function figure(value: string | number | boolean | null): string {
  if (value === null) return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const short = value.toPrecision(4);
    return short.includes('e') ? short : short.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  }
  return value;
}

/**
 * An id, a version or a check name with a line-break opportunity after each separator, so a narrow
 * screen wraps "rollout-20261207-054853" between its parts and never inside one ("broa d").
 */
export function breakable(text: string): SafeHtml {
  return html`${text.split(/(?<=[-._:/+~@=,])/).map((part, i) => (i === 0 ? part : html`<wbr>${part}`))}`;
}

/** Words for a value the code spells with dashes: "awaiting-approval" reads "awaiting approval". */
export function words(slug: string): string {
  return slug.replace(/-/g, ' ');
}
