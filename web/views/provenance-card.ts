import { html, path, type SafeHtml } from '../html.ts';
import type { Provenance } from '../model/provenance.ts';
import { advisoriesTable } from './advisories-table.ts';
import { breakable, dateTime } from './format.ts';

/** The rollout's patch: its packages, its image, and the lab run that proved it, or what is known instead. Pure. */
export function provenanceCard(provenance: Provenance, patch: { name: string; version: string }): SafeHtml {
  const { image, packages } = provenance;
  return html`<section class="card provenance" id="provenance" aria-labelledby="provenance-title">
  <h2 id="provenance-title">Patch <small>${breakable(patch.name)}</small></h2>
  ${image ? html`<p class="muted">image <b>${image.name}</b> <span class="image-tag">${breakable(image.tag)}</span></p>` : ''}
  ${packages === null
    ? html`<p class="muted" id="no-packages">The rollout's record holds no package list: it was stored without the prepared patch. It installs ${patch.name} as version ${breakable(patch.version)}.</p>`
    : html`<div class="table-wrap"><table class="list packages"><thead><tr><th>Package</th><th>From</th><th>To</th></tr></thead><tbody>${packages.map(
        (p) => html`<tr data-package="${p.name}"><td><b>${breakable(p.name)}</b></td><td>${p.from ? breakable(p.from) : html`<span class="muted">(new)</span>`}</td><td>${breakable(p.to)}</td></tr>`,
      )}</tbody></table></div>`}
  <p class="lab-proof" id="lab-proof">${labProof(provenance)}</p>
  ${provenance.advisories && provenance.advisories.length > 0
    ? html`<h3>What the update fixes <small class="muted">per source package, from the package changelog</small></h3>${advisoriesTable(provenance.advisories, 'rollout-advisories')}`
    : provenance.packages !== null && provenance.advisories === null
      ? html`<p class="muted" id="no-advisories">No advisory could be read for these packages: no lab run that proved them carries one, and their .debs are not in the package cache.</p>`
      : ''}
</section>`;
}

function labProof({ image, packages, labRunId, matchingRuns, runsCompared }: Provenance): SafeHtml {
  if (labRunId !== null) return html`Proved by lab run <a href="${path`/lab-runs/${labRunId}`}">${breakable(labRunId)}</a>.`;
  const none = html`The rollout's record names no lab run that proved this patch.`;
  if (!image || packages === null) return none;
  if (runsCompared === 0) return html`${none} No lab run of ${image.name} is stored: <a href="/lab-runs">lab runs</a>.`;
  if (matchingRuns.length === 0) {
    return html`${none} None of the ${runsCompared} latest lab runs of ${image.name} installed these versions: <a href="/lab-runs">lab runs</a>.`;
  }
  return html`${none} Lab runs of ${image.name} that installed exactly these versions: ${matchingRuns.map(
    (run, i) => html`${i > 0 ? ', ' : ''}<a href="${path`/lab-runs/${run.runId}`}">${breakable(run.runId)}</a> <span class="badge verdict-${run.verdict}">${run.verdict}</span> ${dateTime(Date.parse(run.startedAt))}`,
  )}.`;
}
