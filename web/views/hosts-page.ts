import { GROUP_COLUMNS, groupCells, groupCompliance, HOST_COLUMNS, hostCells, type HostCompliance } from '../../lab/inventory/scan/compliance.ts';
import { html, type SafeHtml } from '../html.ts';
import { layout, type Viewer } from './layout.ts';

function table(kind: 'groups' | 'hosts', columns: readonly string[], rows: readonly { key: string; state: string; cells: string[] }[]): SafeHtml {
  return html`<div class="table-wrap"><table class="list ${kind}-compliance">
  <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
  <tbody>${rows.map((r) => html`<tr data-${kind === 'hosts' ? 'host' : 'group'}="${r.key}" data-state="${r.state}">${r.cells.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

/**
 * Compliance of a team's servers from their latest scans: per group, then per host, with the
 * exports. Every cell is the export's own text, so the page and the CSV agree. Pure.
 */
export function hostsPage(hosts: readonly HostCompliance[], now: number, viewer: Viewer): SafeHtml {
  const groups = groupCompliance(hosts);
  const state = (h: HostCompliance) => (h.problem !== null ? 'unscanned' : h.compliant ? 'compliant' : 'pending');
  const body = html`<h1>Hosts</h1>
<p class="muted">Compliance from the latest <code>patchlab inventory scan</code> of each server: security updates pending (and since when a scan first saw the oldest), the last patch, a reboot pending.
Export: <a href="/hosts.csv" download>CSV</a> · <a href="/hosts.json">JSON</a></p>
${hosts.length === 0
    ? html`<p>No scan yet. Scan your servers with <code>patchlab inventory scan --inventory FILE</code>.</p>`
    : html`<h2>By group</h2>
${table('groups', GROUP_COLUMNS, groups.map((g) => ({ key: g.group, state: g.compliant === g.hosts ? 'compliant' : 'pending', cells: groupCells(g, now) })))}
<h2>By host</h2>
${table('hosts', HOST_COLUMNS, hosts.map((h) => ({ key: h.host, state: state(h), cells: hostCells(h, now) })))}`}`;
  return layout({ title: 'Hosts', section: 'hosts', viewer, body });
}
