import { ENGINE } from '../../rollout/engine/state.ts';
import { html, path, type SafeHtml } from '../html.ts';
import type { AuditFilter, AuditRow } from '../model/audit-log.ts';
import { breakable, clock, words } from './format.ts';
import { layout, type Viewer } from './layout.ts';

/** Rows the page shows at most; the CSV export has them all. */
export const MAX_AUDIT_ROWS = 500;
const HOSTS_SHOWN = 6;

export interface AuditPageData {
  rows: readonly AuditRow[];
  filter: AuditFilter;
  /** What the filter's fields offer. */
  rollouts: readonly string[];
  actors: readonly string[];
  actions: readonly string[];
  problems?: readonly string[];
}

/** "2026-12-07T05:40", as a datetime-local field shows a UTC time. */
function localValue(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(0, 16);
}

/** The filter as a query string, for the export link: the CSV has what the page shows. */
export function queryOf(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const key of ['rollout', 'actor', 'action'] as const) if (filter[key] !== undefined) params.set(key, filter[key]);
  if (filter.from !== undefined) params.set('from', localValue(filter.from));
  if (filter.to !== undefined) params.set('to', localValue(filter.to));
  const query = params.toString();
  return query ? `?${query}` : '';
}

function select(name: string, label: string, options: readonly string[], selected: string | undefined, show: (v: string) => string = (v) => v): SafeHtml {
  return html`<label>${label} <select name="${name}" id="audit-${name}"><option value="">all</option>${options.map(
    (o) => html`<option value="${o}"${o === selected ? html` selected` : ''}>${show(o)}</option>`,
  )}</select></label>`;
}

function hostsCell(hosts: readonly string[]): SafeHtml | string {
  if (hosts.length === 0) return '';
  const shown = hosts.slice(0, HOSTS_SHOWN).join(', ');
  return hosts.length <= HOSTS_SHOWN ? shown : html`${shown} <small class="muted">and ${hosts.length - HOSTS_SHOWN} more</small>`;
}

/** Every rollout's decisions and commands, filtered, newest first, with a CSV export of the same. Pure. */
export function auditPage(data: AuditPageData, viewer: Viewer): SafeHtml {
  const { rows, filter } = data;
  const shown = rows.slice(0, MAX_AUDIT_ROWS);
  const csv = `/audit.csv${queryOf(filter)}`;
  const body = html`<h1>Audit log</h1>
<p class="muted">Every decision of the engine and every command a person gave, across rollouts. Times are UTC.</p>
${data.problems?.length ? html`<p class="flash error" role="alert">${data.problems.join('; ')}</p>` : ''}
<form method="get" action="/audit" class="card audit-filter" role="search">
  ${select('rollout', 'Rollout', data.rollouts, filter.rollout)}
  ${select('actor', 'By', data.actors, filter.actor, (a) => (a === ENGINE ? 'the engine' : a))}
  ${select('action', 'Action', data.actions, filter.action, words)}
  <label>From <small>UTC</small> <input type="datetime-local" name="from" id="audit-from" value="${localValue(filter.from)}"></label>
  <label>Until <small>UTC</small> <input type="datetime-local" name="to" id="audit-to" value="${localValue(filter.to)}"></label>
  <div class="buttons"><button type="submit" class="primary">Filter</button><a class="button" href="/audit">Clear</a><a class="button" id="audit-csv" href="${csv}" download>Download CSV</a></div>
</form>
<p class="muted" id="audit-count">${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}${rows.length > shown.length ? `; the newest ${shown.length} are shown, the CSV has all` : ''}.</p>
${shown.length === 0
  ? html`<p class="muted">No entry matches.</p>`
  : html`<div class="table-wrap"><table class="list audit-table">
  <thead><tr><th>Time</th><th>Rollout</th><th>Ring</th><th>Action</th><th>By</th><th>Reasons</th><th>Hosts</th></tr></thead>
  <tbody>${shown.map(
    (row) => html`<tr data-rollout="${row.rolloutId}" data-action="${row.action}" data-actor="${row.actor}">
    <td class="when"><time datetime="${new Date(row.at).toISOString()}">${new Date(row.at).toISOString().slice(0, 10)}</time> ${clock(row.at)}</td>
    <td><a href="${path`/rollouts/${row.rolloutId}`}#audit-${row.index}">${breakable(row.rolloutId)}</a></td>
    <td>${row.ring}</td>
    <td><b>${words(row.action)}</b></td>
    <td>${row.actor === ENGINE ? html`<span class="muted">the engine</span>` : html`<b>${row.actor}</b>`}</td>
    <td class="reasons-cell">${row.reasons.map((r) => html`<p>${r}</p>`)}</td>
    <td class="hosts-cell">${hostsCell(row.hosts)}</td>
  </tr>`,
  )}</tbody></table></div>`}`;
  return layout({ title: 'Audit log', section: 'audit', viewer, body });
}
