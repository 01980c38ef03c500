import { nextRunAt } from '../../lab/schedule/due.ts';
import { lastSlotRuns } from '../../lab/schedule/scheduler.ts';
import { imageHistories, storedRunsOf, type ImageHistory } from '../../lab/schedule/history.ts';
import { describeTiming } from '../../lab/schedule/spec.ts';
import type { ScheduleRunRecord, StoredScheduleRecord } from '../../lab/schedule/schedule-store.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { dateTime } from './format.ts';
import { layout, type Viewer } from './layout.ts';

function historyCard(history: ImageHistory): SafeHtml {
  const regressions = new Set(history.runs.filter((r) => r.regression).map((r) => r.runId));
  return html`<section class="card" data-image="${history.image}">
  <header class="card-head"><h2>${history.image}</h2></header>
  ${history.firstBreaks.length > 0
    ? html`<p><b>First broken by</b></p><ul>${history.firstBreaks.map(
        (b) => html`<li><b>${b.checkName}</b> failed first ${dateTime(b.at)} after ${b.suspects.length > 0 ? b.suspects.map((p) => `${p.name} ${p.version}`).join(', ') : 'no package change (flaky?)'}</li>`,
      )}</ul>`
    : html`<p class="muted">No check has gone from passing to failing.</p>`}
  <div class="table-wrap"><table class="list"><thead><tr><th>Run</th><th>Verdict</th><th></th></tr></thead><tbody>${[...history.runs].reverse().map(
    (r) => html`<tr data-run="${r.runId}"><td>${dateTime(r.at)}</td><td><span class="badge verdict-${r.verdict}">${r.verdict}</span></td><td>${regressions.has(r.runId) ? html`<b>regression</b>` : ''} ${r.runId.startsWith('lab-') ? html`<a href="${path`/lab-runs/${r.runId}`}">lab run</a>` : ''}</td></tr>`,
  )}</tbody></table></div>
</section>`;
}

/** The bisections scheduled runs did of their failures, newest first, each linked to its page. */
function bisectionsCard(runs: readonly ScheduleRunRecord[]): SafeHtml {
  const found = [...runs].reverse().flatMap((run) => run.images.flatMap((image) => (image.bisect ? [{ run, image, bisect: image.bisect }] : [])));
  if (found.length === 0) return html``;
  return html`<section class="card" id="scheduled-bisections"><h2>Bisections of failed scheduled runs</h2><ul>${found.map(
    ({ run, image, bisect }) => html`<li data-bisect="${bisect.bisectId}">${dateTime(run.startedAt)} <b>${run.schedule}</b> on ${image.image}: <a href="${path`/bisects/${bisect.bisectId}`}">bisection ${bisect.bisectId}</a> <span class="badge">${bisect.status}</span> ${
      bisect.culprits.length > 0 ? html`culprit ${bisect.culprits.map((c) => c.items.join(' + ')).join(', ')} in ${bisect.testsRun} lab run(s)` : bisect.error ? html`stopped: ${bisect.error}` : html`no culprit`
    }</li>`,
  )}</ul></section>`;
}

/** The schedules with their next run, and per image the history of their runs. Pure. */
export function schedulesPage(schedules: readonly StoredScheduleRecord[], runs: readonly ScheduleRunRecord[], viewer: Viewer): SafeHtml {
  const lastSlot = lastSlotRuns(runs);
  const body = html`<h1>Schedules</h1>
<p class="muted">Regression lab runs after Patch Tuesday or on cron, run by <code>patchlab serve</code>. Add one with <code>patchlab schedule add</code>.</p>
${schedules.length === 0
    ? html`<p>No schedule yet.</p>`
    : html`<div class="table-wrap"><table class="list schedules"><thead><tr><th>Name</th><th>When</th><th>Images</th><th>Patch</th><th>Next run</th></tr></thead><tbody>${schedules.map(({ spec, addedAt }) => {
        const next = nextRunAt(spec, lastSlot.get(spec.name) ?? addedAt);
        return html`<tr data-schedule="${spec.name}"><td><b>${spec.name}</b></td><td>${describeTiming(spec)}</td><td>${spec.images.join(', ')}</td><td>${spec.patch}</td><td>${next === null ? 'never' : dateTime(next)}</td></tr>`;
      })}</tbody></table></div>`}
${bisectionsCard(runs)}
${imageHistories(storedRunsOf(runs)).map(historyCard)}`;
  return layout({ title: 'Schedules', section: 'schedules', viewer, body });
}
