import { isTerminal } from '../../rollout/engine/phase.ts';
import type { RolloutSummary } from '../../rollout/store/rollout-store.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { ago, breakable, dateTime, words } from './format.ts';
import { layout, type Viewer } from './layout.ts';
import { rolloutStatus, type RolloutStatus } from '../model/rollout-status.ts';
import { listedPolicyLabel } from '../model/policy-label.ts';
import { policyBadge } from './rollout-summary.ts';

/** The phase as a badge; a wait for the minimum age names its end. */
export function statusBadge(status: RolloutStatus): SafeHtml {
  if (status.key === 'waiting-for-age') return html`<span class="badge phase-waiting-for-age" data-status="waiting-for-age">waiting for age</span> <small class="until">until ${dateTime(status.until)}</small>`;
  return html`<span class="badge phase-${status.key}" data-status="${status.key}">${words(status.key)}</span>`;
}

/**
 * The table of rollouts, newest first, each with the policy that applies and where it came from
 * (never the plan's severity beside a policy a rule picked); polls itself while any rollout can
 * still change. Pure.
 * `undriven`: unfinished rollouts no live process drives, which stand still until one does.
 */
export function rolloutsTable(rollouts: readonly RolloutSummary[], now: number, pollMs: number, undriven: ReadonlySet<string> = new Set()): SafeHtml {
  const live = rollouts.some((r) => !isTerminal(r.phase));
  const poller = live
    ? html`<div id="rollouts-poller" hidden hx-get="/rollouts/table" hx-trigger="every ${pollMs}ms" hx-target="#rollouts" hx-swap="innerMorph" hx-status:4xx="swap:none" hx-status:5xx="swap:none"></div>`
    : '';
  if (rollouts.length === 0) {
    return html`${poller}<p class="muted">No rollout yet. Start one with <code>patchlab rollout start scenarios/demo.yaml</code> or <code>patchlab serve --scenario scenarios/demo.yaml</code>.</p>`;
  }
  return html`${poller}<div class="table-wrap"><table class="list rollouts-table">
  <thead><tr><th>Rollout</th><th>Patch</th><th>State</th><th>Ring</th><th class="wide">Scenario</th><th>Updated</th></tr></thead>
  <tbody>${rollouts.map(
    (r) => html`<tr id="rollout-${r.id}">
    <td><a href="${path`/rollouts/${r.id}`}">${breakable(r.id)}</a><br><small class="muted">${dateTime(r.createdAt)}</small></td>
    <td><b>${r.patch.name}</b> <small>${breakable(r.patch.version)}</small> ${policyBadge(listedPolicyLabel(r))}</td>
    <td>${statusBadge(rolloutStatus(r.phase, r.ageWaitUntil, now))}${undriven.has(r.id) ? html`<br><small class="undriven" title="nothing moves until patchlab rollout start runs with --id ${r.id}">no process drives it</small>` : ''}</td>
    <td>${r.ring}</td>
    <td class="wide scenario">${r.scenario}</td>
    <td>${ago(r.updatedAt, now)}</td>
  </tr>`,
  )}</tbody>
</table></div>`;
}

export function rolloutsPage(rollouts: readonly RolloutSummary[], now: number, pollMs: number, viewer: Viewer, undriven: ReadonlySet<string> = new Set()): SafeHtml {
  const body = html`<h1>Rollouts</h1>
<div id="rollouts">${rolloutsTable(rollouts, now, pollMs, undriven)}</div>`;
  return layout({ title: 'Rollouts', section: 'rollouts', viewer, body });
}
