import { ENGINE, type AuditEntry, type RolloutState } from '../../rollout/engine/state.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { clock, figure, words } from './format.ts';

/*
 * The decisions and commands of a rollout, newest first, each with its reasons and the figures
 * behind it. New entries are prepended by a poller that asks only for what it has not seen, so an
 * entry a reader opened stays open while the rollout runs.
 */

export function timelineEntry(entry: AuditEntry, index: number, state: RolloutState): SafeHtml {
  const person = entry.actor !== ENGINE;
  const ring = state.rings[entry.ring]?.name ?? `ring ${entry.ring}`;
  const figures = Object.entries(entry.figures);
  return html`<li class="entry action-${entry.action}${person ? ' by-person' : ''}" id="audit-${index}" data-action="${entry.action}">
  <div class="when">${clock(entry.at)}</div>
  <div class="what">
    <p><strong class="action">${words(entry.action)}</strong> <span class="ring-name">${ring}</span> <span class="actor">by ${person ? html`<b>${entry.actor}</b>` : 'the engine'}</span></p>
    <ul class="reasons">${entry.reasons.map((r) => html`<li>${r}</li>`)}</ul>
    ${entry.hosts.length > 0 ? html`<p class="hosts muted">hosts: ${entry.hosts.join(', ')}</p>` : ''}
    ${figures.length > 0
      ? html`<details><summary>figures (${figures.length})</summary><table class="figures-table"><tbody>${figures.map(
          ([key, value]) => html`<tr><th scope="row">${key}</th><td>${figure(value)}</td></tr>`,
        )}</tbody></table></details>`
      : ''}
  </div>
</li>`;
}

/** Entries from `from` on, newest first. */
export function timelineEntries(state: RolloutState, from = 0): SafeHtml {
  const entries = state.audit.map((entry, index) => ({ entry, index })).slice(from).reverse();
  return html`${entries.map(({ entry, index }) => renderedEntry(entry, index, state))}`;
}

/*
 * Entries already rendered, by rollout: an audit log only grows and an entry never changes once
 * written, so the full page of a long rollout renders only its new entries. An entry is reused
 * only where the one rendered at that place was written the same (the same JSON and ring name).
 */
const ROLLOUTS_KEPT = 16;
const rendered = new Map<string, { key: string; html: SafeHtml }[]>();

function renderedEntry(entry: AuditEntry, index: number, state: RolloutState): SafeHtml {
  let list = rendered.get(state.id);
  rendered.delete(state.id);
  if (!list) list = [];
  rendered.set(state.id, list);
  if (rendered.size > ROLLOUTS_KEPT) rendered.delete(rendered.keys().next().value!);
  const key = `${state.rings[entry.ring]?.name ?? ''}\n${JSON.stringify(entry)}`;
  const known = list[index];
  if (known?.key === key) return known.html;
  const fresh = timelineEntry(entry, index, state);
  list[index] = { key, html: fresh };
  return fresh;
}

/** Asks for entries past `seen`; replaced by each answer with the new count. */
export function timelineCursor(id: string, seen: number, pollMs: number, live: boolean): SafeHtml {
  if (!live) return html`<div id="timeline-cursor" hidden></div>`;
  return html`<div id="timeline-cursor" hidden hx-get="${path`/rollouts/${id}/timeline`}?after=${seen}" hx-trigger="every ${pollMs}ms, rollout-changed from:body" hx-swap="outerHTML" hx-status:4xx="swap:none" hx-status:5xx="swap:none"></div>`;
}

export function timelineSection(state: RolloutState, pollMs: number, live: boolean): SafeHtml {
  return html`<section class="timeline card" aria-labelledby="timeline-title">
  <h2 id="timeline-title">Decisions <small>newest first</small></h2>
  ${timelineCursor(state.id, state.audit.length, pollMs, live)}
  <ol id="timeline" class="timeline-list">${timelineEntries(state)}</ol>
  <p class="muted timeline-empty">No decision yet.</p>
</section>`;
}

/** The answer to a cursor's poll: a new cursor, and the new entries prepended to the list. */
export function timelineUpdate(state: RolloutState, after: number, pollMs: number, live: boolean): SafeHtml {
  const fresh = Math.max(0, Math.min(after, state.audit.length));
  const cursor = timelineCursor(state.id, state.audit.length, pollMs, live);
  if (fresh >= state.audit.length) return cursor;
  return html`${cursor}<hx-partial hx-target="#timeline" hx-swap="afterbegin">${timelineEntries(state, fresh)}</hx-partial>`;
}
