import { holdOf, type Hold } from '../../lab/holds/holds.ts';
import { canAct } from '../auth/roles.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { candidateSeverity, type DiscoveryEntry } from '../services/patch-discovery.ts';
import { advisoryOf } from '../../lab/advisories/format.ts';
import { advisoriesTable, advisoryBadge } from './advisories-table.ts';
import { ago } from './format.ts';
import { holdsPanel } from './holds-panel.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

/** Every image's candidate patches as last discovered, with a refresh button for release managers. Pure. */
export function patchesList(entries: readonly DiscoveryEntry[], viewer: Viewer, now: number, pollMs: number, holds: readonly Hold[] = []): SafeHtml {
  const running = entries.some((e) => e.status === 'running');
  const poller = running
    ? html`<div id="patches-poller" hidden hx-get="/patches/list" hx-trigger="every ${pollMs}ms" hx-target="#patches" hx-swap="innerMorph" hx-status:4xx="swap:none" hx-status:5xx="swap:none"></div>`
    : '';
  return html`${poller}${entries.map((entry) => imageCard(entry, viewer, now, holds))}`;
}

function imageCard(entry: DiscoveryEntry, viewer: Viewer, now: number, holds: readonly Hold[]): SafeHtml {
  const url = path`/patches/${entry.image}/refresh`;
  const security = entry.candidates.filter((c) => c.security).length;
  const statusLine =
    entry.status === 'running'
      ? html`<span class="badge phase-running">discovering</span> started ${ago(entry.startedAt ?? now, now)}`
      : entry.status === 'never'
        ? html`<span class="muted">not discovered since the server started</span>`
        : entry.status === 'failed'
          ? html`<span class="flash error">discovery failed: ${entry.error}</span>`
          : '';
  const found = entry.foundAt !== null ? html`${entry.candidates.length} pending update(s), ${security} from the security archive · found ${ago(entry.foundAt, now)}` : '';
  return html`<section class="card image-patches" id="image-${entry.image}" data-status="${entry.status}">
  <header class="card-head"><h2>${entry.image}</h2>
  ${canAct(viewer.role)
    ? html`<form method="post" action="${url}" hx-post="${url}" hx-target="#patches" hx-swap="innerMorph">${csrfField(viewer)}<button type="submit"${entry.status === 'running' ? html` disabled` : ''}>${entry.status === 'never' ? 'Discover' : 'Refresh'}</button></form>`
    : ''}
  </header>
  <p class="muted">${statusLine} ${found}</p>
  ${entry.candidates.length > 0
    ? html`<div class="table-wrap"><table class="list candidates"><thead><tr><th>Package</th><th>Installed</th><th>Candidate</th><th class="wide">Suite</th><th>Severity</th><th>Changelog says</th></tr></thead><tbody>${sortedCandidates(entry).map(
        (c) => html`<tr data-package="${c.name}"><td><b>${c.name}</b></td><td>${c.installed}</td><td>${c.candidate}</td><td class="wide">${c.suite}</td><td><span class="badge severity-${candidateSeverity(c)}">${candidateSeverity(c)}</span>${holdOf(c.name, holds) ? html` <span class="badge held" title="${holdOf(c.name, holds)?.reason}">held</span>` : ''}</td><td class="advisory">${advisoryBadge(advisoryOf(entry.advisories, c.name))}</td></tr>`,
      )}</tbody></table></div>
      ${entry.advisories.length > 0 ? html`<h3>What the updates fix <small class="muted">per source package, from the package changelog</small></h3>${advisoriesTable(entry.advisories, `advisories-${entry.image}`)}` : ''}`
    : entry.status === 'ready'
      ? html`<p>Nothing to patch: the image is up to date.</p>`
      : ''}
</section>`;
}

export function patchesPage(entries: readonly DiscoveryEntry[], viewer: Viewer, now: number, pollMs: number, holds: readonly Hold[] = []): SafeHtml {
  const body = html`<h1>Candidate patches</h1>
<p class="muted">What each image could upgrade from its suite's security and updates archives. Discovery starts a throwaway host, so it runs when asked, not on every visit. Severity is the one a rollout of the patch gets by default: high for the security archive, medium otherwise. What each update fixes (CVE ids, Debian's urgency, advisories, bugs) is read from the package's own changelog.</p>
<div id="patches">${patchesList(entries, viewer, now, pollMs, holds)}</div>
${holdsPanel(holds, viewer)}`;
  return layout({ title: 'Patches', section: 'patches', viewer, body });
}

/** Security updates first, then by name: the ones a release manager looks for. */
function sortedCandidates(entry: DiscoveryEntry) {
  return [...entry.candidates].sort((a, b) => Number(b.security) - Number(a.security) || a.name.localeCompare(b.name));
}
