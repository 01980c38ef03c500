import type { BisectStepRecord, LabBisectReport } from '../../lab/bisect/lab-bisect.ts';
import type { Hold } from '../../lab/holds/holds.ts';
import { canAct } from '../auth/roles.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { breakable, dateTime, duration } from './format.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

const PURPOSES: Record<BisectStepRecord['purpose'], string> = {
  whole: 'the whole patch',
  search: 'search: a part of the patch',
  confirm: 'confirm: the suspects alone',
  rest: 'the rest, without the suspects',
};

const STATUS_CLASS: Record<LabBisectReport['status'], string> = { running: 'phase-running', finished: 'status-completed', stopped: 'verdict-fail' };

const runLink = (runId: string | undefined) => (runId ? html`<a href="${path`/lab-runs/${runId}`}">${breakable(runId)}</a>` : html`<span class="muted">starting</span>`);

/** Polls the live part while the bisection runs; gone once it ends, which ends the polling. */
function poller(bisect: LabBisectReport, pollMs: number): SafeHtml {
  if (bisect.status !== 'running') return html``;
  return html`<div id="bisect-poller" hidden hx-get="${path`/bisects/${bisect.bisectId}/live`}" hx-trigger="every ${pollMs}ms" hx-target="#bisect-live" hx-swap="innerMorph" hx-status:4xx="swap:none" hx-status:5xx="swap:none"></div>`;
}

function stepsTable(bisect: LabBisectReport): SafeHtml {
  if (bisect.steps.length === 0) return html`<p class="muted" id="no-steps">No lab run started yet.</p>`;
  return html`<div class="table-wrap"><table class="list bisect-steps"><thead><tr><th>#</th><th>Wave</th><th>What it tries</th><th>Packages installed</th><th>Verdict</th><th>Lab run</th><th class="wide">Took</th></tr></thead><tbody>${bisect.steps.map(
    (s) => html`<tr data-step="${s.index}" data-outcome="${s.outcome ?? 'running'}"><td>${s.index}</td><td>${s.wave}</td><td>${PURPOSES[s.purpose]}</td><td>${s.items.map((i, n) => html`${n > 0 ? ', ' : ''}${breakable(i)}`)}</td><td>${
      s.outcome ? html`<span class="badge verdict-${s.outcome}">${s.outcome}</span>` : html`<span class="badge phase-running">running</span>`
    }</td><td>${runLink(s.runId)}</td><td class="wide">${s.durationMs !== undefined ? duration(s.durationMs) : ''}</td></tr>`,
  )}</tbody></table></div>`;
}

function holdForm(bisect: LabBisectReport, viewer: Viewer, holds: readonly Hold[]): SafeHtml {
  if (bisect.hold.length === 0) return html``;
  const missing = bisect.hold.filter((name) => !holds.some((h) => h.pattern === name));
  const proposal = html`<p>Proposed hold: <code>apt-mark hold ${bisect.hold.join(' ')}</code></p>`;
  if (missing.length === 0) return html`${proposal}<p id="hold-applied">Held: every package of the proposal is held (<a href="/patches#holds">holds</a>).</p>`;
  if (!canAct(viewer.role)) return html`${proposal}<p class="muted">A release manager can hold ${missing.join(', ')} from here.</p>`;
  const action = path`/bisects/${bisect.bisectId}/hold`;
  return html`${proposal}<form method="post" action="${action}" class="stack" id="apply-hold">${csrfField(viewer)}
    <label for="hold-reason">Reason <small>required; it goes into the record of holds with your name</small></label>
    <input id="hold-reason" name="reason" required maxlength="500" value="${`bisection ${bisect.bisectId}: ${bisect.culprits.flatMap((c) => c.breaks).join('; ')}`.slice(0, 500)}">
    <div class="buttons"><button type="submit" class="primary">Hold ${missing.join(', ')}</button></div>
  </form>`;
}

function result(bisect: LabBisectReport, viewer: Viewer, holds: readonly Hold[]): SafeHtml {
  if (bisect.status === 'running') return html`<p class="muted">The culprits, the hold to propose and the run that proves the rest appear here when the bisection ends.</p>`;
  return html`${bisect.error ? html`<p class="flash error" id="stopped">Stopped: ${bisect.error}</p>` : ''}
  ${bisect.culprits.length === 0 && !bisect.error ? html`<p>No culprit: every subset tried passes.</p>` : ''}
  ${bisect.culprits.map(
    (c) => html`<div class="culprit" data-culprit="${c.items.map((i) => i.label).join(' ')}"><p><b>Culprit: ${c.items.map((i) => i.label).join(' + ')}</b> ${c.items.flatMap((i) => i.packages).length > 0 ? html`<small class="muted">${c.items.flatMap((i) => i.packages.map((p) => `${p.name} ${p.version}`)).join(', ')}</small>` : ''}</p>
    <p>Fails alone in lab run ${runLink(c.runId)}, breaking:</p><ul class="breaks">${c.breaks.map((b) => html`<li>${b}</li>`)}</ul></div>`,
  )}
  ${holdForm(bisect, viewer, holds)}
  ${bisect.leaveOut.length > 0 ? html`<p>Leave out: ${bisect.leaveOut.map((d) => html`<code>${d}</code> `)}</p>` : ''}
  ${bisect.status === 'finished'
    ? bisect.rest.items.length === 0
      ? html`<p id="rest">Nothing else is left to patch.</p>`
      : html`<p id="rest">The rest passes${bisect.rest.runId ? html` in lab run ${runLink(bisect.rest.runId)}` : ''}: <code>--patch ${bisect.rest.patch.join(',')}</code></p>`
    : ''}`;
}

/** The part that changes while the bisection runs. Pure. */
export function bisectLive(bisect: LabBisectReport, viewer: Viewer, holds: readonly Hold[], pollMs: number): SafeHtml {
  const runs = bisect.maxLabRuns !== undefined ? `${bisect.testsRun} of at most ${bisect.maxLabRuns} lab run(s)` : `${bisect.testsRun} lab run(s)`;
  return html`${poller(bisect, pollMs)}
<section class="card summary"><div class="summary-head"><span class="badge ${STATUS_CLASS[bisect.status]}" id="bisect-status">${bisect.status}</span> <span>${runs} in ${bisect.waves} wave(s)</span></div>
  <p class="muted">started ${dateTime(Date.parse(bisect.startedAt))}${bisect.finishedAt ? html` · ended ${dateTime(Date.parse(bisect.finishedAt))}` : ''}</p></section>
<section class="card" aria-labelledby="steps-title"><h2 id="steps-title">Lab runs, as they went</h2>${stepsTable(bisect)}</section>
<section class="card" aria-labelledby="result-title" id="bisect-result"><h2 id="result-title">Result</h2>${result(bisect, viewer, holds)}</section>`;
}

export function bisectPage(bisect: LabBisectReport, viewer: Viewer, holds: readonly Hold[], pollMs: number): SafeHtml {
  const body = html`<nav class="crumbs"><a href="/lab-runs">Lab runs</a> › <a href="${path`/lab-runs/${bisect.runId}`}">${breakable(bisect.runId)}</a> ›</nav>
<h1>Bisection ${breakable(bisect.bisectId)}</h1>
<p class="muted">Which of the ${bisect.items.length} source package(s) and .deb(s) of the failed lab run ${runLink(bisect.runId)} on <b>${bisect.image}</b> break it: lab runs on parts of the patch, the packages of one source together.</p>
<div id="bisect-live">${bisectLive(bisect, viewer, holds, pollMs)}</div>`;
  return layout({ title: `Bisection ${bisect.bisectId}`, section: 'lab-runs', viewer, body });
}

/** Links to the bisections of a lab run, for its page. Pure. */
export function bisectLinks(bisects: readonly { bisectId: string; status: string; startedAt: string }[]): SafeHtml {
  if (bisects.length === 0) return html``;
  return html`<section class="card" id="bisections"><h2>Bisections of this run</h2><ul>${bisects.map(
    (b) => html`<li><a href="${path`/bisects/${b.bisectId}`}">${breakable(b.bisectId)}</a> <span class="badge">${b.status}</span> ${dateTime(Date.parse(b.startedAt))}</li>`,
  )}</ul></section>`;
}
