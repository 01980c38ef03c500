import type { CheckResult } from '../../lab/checks/types.ts';
import type { LabReport } from '../../lab/run/report.ts';
import type { ComparedCheck } from '../../lab/run/verdict.ts';
import type { LabRunSummary } from '../../lab/store/lab-run-store.ts';
import { html, path, type SafeHtml } from '../html.ts';
import type { RunPatch } from '../model/lab-run-patches.ts';
import { breakable, dateTime, duration, words } from './format.ts';
import { advisoriesTable } from './advisories-table.ts';
import { bisectLinks } from './bisect-page.ts';
import type { BisectSummary } from '../../lab/bisect/bisect-store.ts';
import { layout, type Viewer } from './layout.ts';

export const SIDES = ['baseline', 'patched', 'afterRollback'] as const;
export type Side = (typeof SIDES)[number];
const SIDE_LABELS: Record<Side, string> = { baseline: 'unpatched twin', patched: 'patched', afterRollback: 'after rollback' };

export interface Screenshot {
  check: ComparedCheck;
  side: Side;
  file: string;
}

/**
 * The report's screenshots in a fixed order. The page links them by position, so a URL can
 * only ever name a file the report itself lists, never a path from the request. Pure.
 */
export function screenshotsOf(report: LabReport): Screenshot[] {
  return report.checks.flatMap((check) =>
    SIDES.flatMap((side) => {
      const file = check[side]?.evidence?.screenshot;
      return file ? [{ check, side, file }] : [];
    }),
  );
}

/** What a run patched, briefly: the request, and the packages it installed with their versions in the tooltip. */
function patchCell(patch: RunPatch | null | undefined): SafeHtml {
  if (!patch) return html`<span class="muted">–</span>`;
  const names = patch.packages.map((p) => p.name);
  const listed = names.length <= PACKAGES_LISTED ? names.join(', ') : `${names.slice(0, PACKAGES_LISTED).join(', ')} and ${names.length - PACKAGES_LISTED} more`;
  return html`<span class="run-patch" title="${patch.packages.map((p) => `${p.name} ${p.from ?? '(new)'} → ${p.to}`).join('\n')}"><b>${patch.request.join(' ')}</b>${names.length > 0 ? html`<br><small>${listed}</small>` : html` <small class="muted">nothing installed</small>`}</span>`;
}
const PACKAGES_LISTED = 4;

export function labRunsPage(runs: readonly LabRunSummary[], patches: ReadonlyMap<string, RunPatch | null>, viewer: Viewer): SafeHtml {
  const body = html`<h1>Lab runs</h1>
${runs.length === 0
  ? html`<p class="muted">No lab run stored yet. Run one with <code>patchlab lab run --image web --patch security</code>.</p>`
  : html`<div class="table-wrap"><table class="list">
  <thead><tr><th>Run</th><th>Image</th><th>Patch</th><th>Verdict</th><th>Started</th><th class="wide">Took</th></tr></thead>
  <tbody>${runs.map(
    (r) => html`<tr data-run="${r.runId}"><td><a href="${path`/lab-runs/${r.runId}`}">${breakable(r.runId)}</a></td><td>${r.image}</td><td class="patch-cell">${patchCell(patches.get(r.runId))}</td><td><span class="badge verdict-${r.verdict}">${r.verdict}</span></td><td>${dateTime(Date.parse(r.startedAt))}</td><td class="wide">${duration(r.durationMs)}</td></tr>`,
  )}</tbody></table></div>`}`;
  return layout({ title: 'Lab runs', section: 'lab-runs', viewer, body });
}

function status(result: CheckResult | undefined): SafeHtml {
  if (!result) return html`<span class="muted">–</span>`;
  return html`<span class="status status-${result.status}" title="${result.message}">${result.status}</span>${result.message ? html`<small class="message">${result.message}</small>` : ''}`;
}

function log(title: string, text: string | undefined): SafeHtml {
  if (!text || text.trim() === '') return html``;
  return html`<details class="log"><summary>${title}</summary><pre>${text}</pre></details>`;
}

function rebootsCard(report: LabReport): SafeHtml {
  const reboots = [
    ['after the patch', report.reboot],
    ['after the rollback', report.rollbackReboot],
  ] as const;
  if (!report.reboot) return html``;
  return html`<section class="card" id="reboots"><h2>Reboots</h2>
  ${reboots.map(([when, r]) =>
    r
      ? html`<p>${when}: ${r.ok
          ? html`came back in ${duration(r.durationMs)}, kernel ${r.kernelBefore} → <b>${r.kernel ?? '?'}</b>${r.expectedKernel ? html` (expected ${r.expectedKernel})` : ''}`
          : html`<b>did not come back</b>: ${r.detail}`}</p>${log(`console, ${when}`, r.console)}`
      : '',
  )}
</section>`;
}

export function labRunPage(report: LabReport, viewer: Viewer, bisects: readonly BisectSummary[] = []): SafeHtml {
  const shots = screenshotsOf(report);
  const shotUrl = (n: number) => path`/lab-runs/${report.runId}/screenshots/${n}`;
  const { patch, install, rollback, services } = report;
  const body = html`<nav class="crumbs"><a href="/lab-runs">Lab runs</a> ›</nav>
<h1>${breakable(report.runId)}</h1>
<section class="card summary">
  <div class="summary-head"><span class="badge verdict-${report.verdict}" id="verdict">${report.verdict}</span> <span>image <b>${report.image.name}</b> <small class="muted">${report.image.tag}</small></span></div>
  <p class="muted">started ${dateTime(Date.parse(report.startedAt))} · took ${duration(report.durationMs)} · patch ${patch.request.join(' ')} · ${report.hostKind === 'vm' ? 'VM hosts' : 'container hosts'}</p>
  <ul class="reasons">${report.reasons.map((r) => html`<li>${r}</li>`)}</ul>
  ${report.verdict === 'fail' && bisects.length === 0 ? html`<p class="muted">Which package breaks it: <code>patchlab lab bisect ${report.runId}</code></p>` : ''}
</section>
${bisectLinks(bisects)}
<section class="card"><h2>Patch</h2>
  ${patch.packages.length === 0
    ? html`<p class="muted">No package changed.</p>`
    : html`<div class="table-wrap"><table class="list"><thead><tr><th>Package</th><th>From</th><th>To</th><th>Suite</th><th></th></tr></thead><tbody>${patch.packages.map(
        (p) => html`<tr><td>${p.name}</td><td>${p.from ?? '(new)'}</td><td>${p.to}</td><td>${p.suite ?? ''}</td><td>${p.security ? html`<span class="badge severity-high">security</span>` : ''}</td></tr>`,
      )}</tbody></table></div>`}
  ${patch.debs.length > 0 ? html`<p>Local packages: ${patch.debs.join(', ')}</p>` : ''}
  ${report.advisories && report.advisories.length > 0 ? html`<h3>What the updates fix <small class="muted">per source package, from the package changelog</small></h3>${advisoriesTable(report.advisories, 'run-advisories')}` : ''}
  <p class="muted">${(patch.downloadedBytes / 1e6).toFixed(1)} MB downloaded, ${patch.reusedFiles} file(s) from the cache${patch.planReused ? '; plan reused from an earlier run on the same image and lists' : ''}</p>
</section>
${rebootsCard(report)}<section class="card"><h2>Checks <small>unpatched twin → patched → after rollback</small></h2>
  <div class="table-wrap"><table class="list checks-table"><thead><tr><th>Check</th><th>Verdict</th>${SIDES.map((s) => html`<th>${SIDE_LABELS[s]}</th>`)}</tr></thead>
  <tbody>${report.checks.map(
    (c) => html`<tr data-comparison="${c.comparison}"><td><b>${c.name}</b><br><small class="muted">${c.kind}</small></td><td><span class="badge comparison-${c.comparison}">${words(c.comparison)}</span></td>${SIDES.map((s) => html`<td>${status(c[s])}</td>`)}</tr>`,
  )}</tbody></table></div>
</section>
<section class="card"><h2>Screenshots</h2>
  ${shots.length === 0
    ? html`<p class="muted">This run took no screenshot.</p>`
    : html`<div class="shots">${shots.map(
        (s, n) => html`<figure class="shot"><a href="${shotUrl(n)}"><img src="${shotUrl(n)}" alt="${s.check.name} on the ${SIDE_LABELS[s.side]} host" loading="lazy" width="320" height="200"></a><figcaption>${s.check.name} <small>${SIDE_LABELS[s.side]}</small></figcaption></figure>`,
      )}</div>`}
</section>
<section class="card"><h2>Logs</h2>
  ${install ? log(`install (${install.ok ? 'ok' : 'failed'}, ${duration(install.durationMs)})`, install.output) : ''}
  ${(['baseline', 'patched', 'afterRollback'] as const).map((side) => {
    const outcome = services[side];
    return outcome ? log(`service start, ${SIDE_LABELS[side]} (${outcome.ok ? 'ok' : 'failed'})`, outcome.output) : '';
  })}
  ${rollback
    ? html`<p>Rollback: ${rollback.restored ? 'every version restored' : html`<b>not restored</b>: ${rollback.remaining.map((r) => `${r.name} ${r.after ?? ''}`).join(', ')}`} in ${duration(rollback.durationMs)}${rollback.reinstalled.length > 0 ? ` · reinstalled ${rollback.reinstalled.join(', ')}` : ''}${rollback.purged.length > 0 ? ` · purged ${rollback.purged.join(', ')}` : ''}</p>`
    : ''}
  ${report.checks.flatMap((c) => SIDES.map((s) => log(`${c.name}, ${SIDE_LABELS[s]}`, c[s]?.evidence?.output)))}
  ${install?.changes.length
    ? html`<details class="log"><summary>versions before and after (${install.changes.length})</summary><table class="list"><tbody>${install.changes.map((v) => html`<tr><td>${v.name}</td><td>${v.before ?? '(none)'}</td><td>${v.after ?? '(removed)'}</td></tr>`)}</tbody></table></details>`
    : ''}
</section>
<section class="card"><h2>Timings</h2>
  <table class="list compact"><tbody>${Object.entries(report.timings).map(([phase, ms]) => html`<tr><th scope="row">${phase}</th><td>${duration(ms)}</td></tr>`)}</tbody></table>
</section>`;
  return layout({ title: `Lab run ${report.runId}`, section: 'lab-runs', viewer, body });
}
