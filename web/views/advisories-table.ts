import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import { advisoryCell } from '../../lab/advisories/format.ts';
import { html, type SafeHtml } from '../html.ts';
import { breakable } from './format.ts';

/**
 * What each source package's update fixes, as its own changelog says: CVE, DSA and DLA ids linked
 * to their tracker pages, Debian bugs, the urgency, and where the severity came from. Pure.
 */
export function advisoriesTable(advisories: readonly SourceAdvisory[], id: string): SafeHtml {
  if (advisories.length === 0) return html``;
  const rows = advisories.map((a) => {
    const link = (label: string) => a.links.find((l) => l.id === label);
    const linked = (ids: readonly string[]) =>
      ids.length === 0
        ? html`<span class="muted">none</span>`
        : ids.map((label, i) => {
            const to = link(label);
            return html`${i > 0 ? ' ' : ''}${to ? html`<a href="${to.url}" rel="noopener noreferrer" target="_blank">${label}</a>` : label}`;
          });
    return html`<tr data-source="${a.source}" data-severity="${a.severity.level}">
  <td><b>${breakable(a.source)}</b><br><small class="muted">${a.binaries.map((b) => b.name).join(', ')}</small></td>
  <td>${breakable(a.installed)} → ${breakable(a.candidate)}</td>
  <td class="cves">${linked(a.cves)}</td>
  <td class="advisory-ids">${linked([...a.dsas, ...a.dlas])}</td>
  <td class="bugs">${linked(a.bugs.map((n) => `#${n}`))}</td>
  <td class="urgency">${a.urgency ?? html`<span class="muted">none given</span>`}</td>
  <td><span class="badge severity-${a.severity.level}">${a.severity.level}</span> <small class="basis">${a.severity.basis}</small></td>
</tr>`;
  });
  return html`<div class="table-wrap"><table class="list advisories" id="${id}"><thead><tr><th>Source package</th><th>Update</th><th>CVE</th><th>DSA / DLA</th><th>Bugs</th><th>Urgency</th><th>Severity</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The short cell beside a candidate: its source's CVE count and urgency, or why there is none. */
export function advisoryBadge(advisory: SourceAdvisory | undefined): SafeHtml {
  if (!advisory) return html`<span class="muted">not read</span>`;
  if (!advisory.changelogFrom) return html`<span class="muted" title="${advisory.severity.basis}">${advisoryCell(advisory)}</span>`;
  return html`<span class="badge severity-${advisory.severity.level}" title="${advisory.severity.basis}">${advisory.severity.level}</span> ${advisory.cves.length} CVE`;
}
