import { ENGINE, type AuditEntry, type RolloutState } from '../../rollout/engine/state.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { PerRollout } from '../model/per-rollout.ts';
import { clock, figure, words } from './format.ts';

/*
 * The decisions and commands of a rollout, newest first, each with its reasons and the figures
 * behind it. New entries are prepended by a poller that asks only for what it has not seen, so an
 * entry a reader opened stays open while the rollout runs. A long rollout writes hundreds of
 * entries: the page shows the latest TIMELINE_PAGE and fetches older ones a page at a time, by the
 * entry's sequence number (its place in the audit log, which only grows).
 */

/** Entries the page shows at first, and per "older entries" request. */
export const TIMELINE_PAGE = 50;

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

/** Entries from `from` up to (not including) `to`, newest first. */
export function timelineEntries(state: RolloutState, from = 0, to = state.audit.length): SafeHtml {
  const shown: SafeHtml[] = [];
  for (let index = Math.min(to, state.audit.length) - 1; index >= Math.max(0, from); index--) shown.push(renderedEntry(state.audit[index]!, index, state));
  return html`${shown}`;
}

/**
 * Fetches the page of entries before `before` and appends it to the list; a plain link to the
 * same page without JavaScript. Nothing to fetch once the first entry is shown (an element still,
 * so that the answer replacing it is never empty).
 */
export function olderEntriesControl(id: string, before: number): SafeHtml {
  if (before <= 0) return html`<div id="timeline-older" hidden></div>`;
  const url = `${path`/rollouts/${id}/timeline`}?before=${before}`;
  return html`<p id="timeline-older" class="timeline-older"><a href="${url}" hx-get="${url}" hx-swap="outerHTML" hx-target="#timeline-older">Older entries</a> <small class="muted">${before} before these</small></p>`;
}

/** The answer to "older entries": the next control, and the page of entries appended to the list. */
export function olderEntriesUpdate(state: RolloutState, before: number): SafeHtml {
  const from = Math.max(0, before - TIMELINE_PAGE);
  return html`${olderEntriesControl(state.id, from)}<hx-partial hx-target="#timeline" hx-swap="beforeend">${timelineEntries(state, from, before)}</hx-partial>`;
}

/*
 * Entries already rendered, by rollout: an audit log only grows and an entry never changes once
 * written, so the full page of a long rollout renders only its new entries. An entry is reused
 * only where the one rendered at that place was written the same (the same JSON and ring name).
 */
const rendered = new PerRollout<{ key: string; html: SafeHtml }[]>();

function renderedEntry(entry: AuditEntry, index: number, state: RolloutState): SafeHtml {
  let list = rendered.get(state.id);
  if (!list) {
    list = [];
    rendered.set(state.id, list);
  }
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

const firstShown = (state: RolloutState): number => Math.max(0, state.audit.length - TIMELINE_PAGE);

/** The section as last rendered from each state: a state handed to many requests (StoredRollouts) is rendered once. */
const sections = new WeakMap<RolloutState, { pollMs: number; live: boolean; section: SafeHtml }>();

export function timelineSection(state: RolloutState, pollMs: number, live: boolean): SafeHtml {
  const known = sections.get(state);
  if (known?.pollMs === pollMs && known.live === live) return known.section;
  const section = renderSection(state, pollMs, live);
  sections.set(state, { pollMs, live, section });
  return section;
}

function renderSection(state: RolloutState, pollMs: number, live: boolean): SafeHtml {
  return html`<section class="timeline card" aria-labelledby="timeline-title">
  <h2 id="timeline-title">Decisions <small>newest first</small></h2>
  ${timelineCursor(state.id, state.audit.length, pollMs, live)}
  <ol id="timeline" class="timeline-list">${timelineEntries(state, firstShown(state))}</ol>
  <p class="muted timeline-empty">No decision yet.</p>
  ${olderEntriesControl(state.id, firstShown(state))}
</section>`;
}

/** The answer to a cursor's poll: a new cursor, and the new entries prepended to the list. */
export function timelineUpdate(state: RolloutState, after: number, pollMs: number, live: boolean): SafeHtml {
  const fresh = Math.max(0, Math.min(after, state.audit.length));
  const cursor = timelineCursor(state.id, state.audit.length, pollMs, live);
  if (fresh >= state.audit.length) return cursor;
  return html`${cursor}<hx-partial hx-target="#timeline" hx-swap="afterbegin">${timelineEntries(state, fresh)}</hx-partial>`;
}
