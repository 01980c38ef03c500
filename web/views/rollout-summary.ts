import { waitingUntil } from '../../rollout/engine/age-wait.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PolicyLabel } from '../model/policy-label.ts';
import { rolloutStatus } from '../model/rollout-status.ts';
import { estimateEnd } from '../model/rollout-estimate.ts';
import { lastEntry } from '../model/ring-history.ts';
import type { RolloutView } from '../model/rollout-view.ts';
import { breakable, clock, duration, words } from './format.ts';

/** The head of the rollout: phase, patch, progress, and when it ends (an estimate while it runs). Pure. */
export function rolloutSummary(view: RolloutView, now: number, undriven: SafeHtml | '', policy: PolicyLabel): SafeHtml {
  const { state } = view;
  const status = rolloutStatus(state.phase, waitingUntil(state.ageWait, now), now);
  return html`<section class="summary card">
  <div class="summary-head">
    <span class="badge phase-${status.key}" id="rollout-phase" data-phase="${state.phase}">${words(status.key)}</span>
    <span class="patch"><b>${state.patch.name}</b> ${breakable(state.patch.version)}</span>
    ${policyBadge(policy, 'policy-label')}
    <a href="#provenance" class="packages-link">packages</a>
  </div>
  <p class="progress"><span id="rollout-progress">${view.progress.onTarget} of ${view.progress.total}</span> hosts on the new version · ring ${state.rings[state.ring]?.name ?? '?'} · policy ${view.policy.name}</p>
  <p class="estimate" id="estimate">${endLine(view, now)}</p>
  ${undriven}
</section>`;
}

/** The policy that applies as a badge, and where it came from beside it (the page's summary and the list of rollouts). */
export function policyBadge(policy: PolicyLabel, id?: string): SafeHtml {
  return html`<span class="badge ${policy.className}"${id ? html` id="${id}"` : ''}${policy.from ? html` title="${policy.from}"` : ''}>${policy.text}</span>${policy.from ? html` <small class="muted policy-from">${policy.from}</small>` : ''}`;
}

function endLine(view: RolloutView, now: number): SafeHtml {
  const { state } = view;
  const ended = lastEntry(state, state.phase === 'completed' ? 'complete' : 'rolled-back');
  if (view.finished && ended) return html`Ended ${clock(ended.at)} UTC, ${duration(ended.at - state.createdAt)} after it started.`;
  const estimate = estimateEnd(state, view.policy, now);
  if (!estimate) return html`Rolling back since ${clock(lastEntry(state, 'rollback')?.at ?? now)} UTC.`;
  const waves = estimate.wavesLeft === 0 ? '' : estimate.waveMs === null ? `, ${estimate.wavesLeft} waves of patching (not timed yet)` : `, ${estimate.wavesLeft} waves of patching (about ${duration(estimate.waveMs)} each)`;
  const approvals = estimate.approvals.length > 0 ? `; not counting the wait for approval of ${estimate.approvals.join(', ')}` : '';
  return html`<b>Estimated end</b> ≈ ${clock(estimate.endsAt)} UTC, in ${duration(estimate.leftMs)}${estimate.paused ? ' if resumed now' : ''} <small class="muted">(an estimate: ${duration(estimate.soakLeftMs)} of soak left${waves}${approvals})</small>`;
}
