import { html, type SafeHtml } from '../html.ts';
import type { EvidenceRun, HostEvidence } from '../model/host-evidence.ts';
import type { HostView, RingView } from '../model/rollout-view.ts';
import { ago, breakable, clock, words } from './format.ts';
import { PHASE_ORDER } from './ring-cards.ts';

/** Hosts drawn one by one at most; past this the page would be slower to read than the ring cards. */
export const MAX_HOSTS_DRAWN = 400;

/** Every host as a tile coloured by its phase, ring by ring, with its versions and last check. Pure. */
export function hostGrid(rings: readonly RingView[], hosts: readonly HostView[], target: string, now: number): SafeHtml {
  const legend = html`<p class="legend">${PHASE_ORDER.map((phase) => html`<span><i class="swatch phase-${phase}"></i>${words(phase)}</span>`)}</p>`;
  let drawn = 0;
  const sections = rings.map((ring) => {
    const members = hosts.filter((h) => h.ring === ring.index);
    const shown = members.slice(0, Math.max(0, MAX_HOSTS_DRAWN - drawn));
    drawn += shown.length;
    return html`<section class="host-ring">
  <h3>${ring.name} <small>${members.length} host${members.length === 1 ? '' : 's'}</small></h3>
  <ul class="host-grid">${shown.map((host) => hostTile(host, target, now))}</ul>
  ${shown.length < members.length ? html`<p class="muted">${members.length - shown.length} more hosts not drawn.</p>` : ''}
</section>`;
  });
  return html`${legend}${sections}`;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function checkLine(host: HostView, now: number): SafeHtml {
  const check = host.lastCheck;
  if (!check) return html`<span class="check none">no check yet</span>`;
  // After a rollback the checks run on the base version again: say so, or "7 checks pass" reads as if the patch were fine.
  const reached = host.phase !== 'pending' && host.phase !== 'patching';
  const where = check.onTarget || !reached ? '' : check.version === host.baseVersion ? ' on the base version' : ` on ${check.version}`;
  if (check.failing === null) return html`<span class="check none">checks skipped${where} · ${ago(check.at, now)}</span>`;
  if (check.failing.length === 0) return html`<span class="check pass">✓ ${plural(check.checks.length, 'check')} pass${where} · ${ago(check.at, now)}</span>`;
  return html`<span class="check fail">✗ ${check.failing.length} of ${plural(check.checks.length, 'check')} fail${where} · ${ago(check.at, now)}</span>`;
}

function hostTile(host: HostView, target: string, now: number): SafeHtml {
  const versions = host.version === host.baseVersion ? breakable(host.version) : html`${breakable(host.baseVersion)} → ${breakable(host.version)}`;
  return html`<li class="host phase-${host.phase}${host.evidence ? ' has-evidence' : ''}" id="host-${host.id}" data-phase="${host.phase}">
  <div class="host-head"><strong class="host-id">${breakable(host.id)}</strong><span class="phase">${words(host.phase)}</span></div>
  <div class="versions${host.version === target ? ' on-target' : ''}" title="base ${host.baseVersion}, now ${host.version}, target ${target}">${versions}</div>
  <div>${checkLine(host, now)}</div>
  ${host.failure ? html`<div class="failure">${failureReason(host)}${host.failure.acceptedBy ? ` (accepted by ${host.failure.acceptedBy})` : ''}</div>` : ''}
  ${host.evidence ? evidenceList(host.evidence) : ''}
</li>`;
}

/**
 * The engine's reason, with the list of checks it starts with ("failed a, b, and again on
 * re-check") cut to their number when the evidence below names each of them anyway.
 */
function failureReason(host: HostView): string {
  const reason = host.failure?.reason ?? '';
  const named = `failed ${host.evidence?.checks.map((c) => c.id).join(', ')}`;
  if (!host.evidence || !reason.startsWith(named)) return reason;
  return `failed ${plural(host.evidence.checks.length, 'check')}${reason.slice(named.length)}`;
}

/**
 * Each failing check of the run that failed the host (the one its reason names): what it expected,
 * what it got, what it printed; and the host's newest failing run beside it when that is another.
 */
function evidenceList(evidence: HostEvidence): SafeHtml {
  return html`<div class="evidence">
  ${failedChecks(evidence, 'Failed checks')}
  ${evidence.newest ? html`<div class="evidence-newest">${failedChecks(evidence.newest, 'Newest failing run')}</div>` : ''}
</div>`;
}

function failedChecks(run: EvidenceRun, title: string): SafeHtml {
  return html`<p class="evidence-head">${title} at ${clock(run.at)} on ${breakable(run.version)}:</p>
  <ul class="failed-checks">${run.checks.map(
    (check) => html`<li class="failed-check" data-check="${check.id}">
    <p><b class="check-id">${breakable(check.id)}</b> <span class="status status-${check.status}">${check.status}</span></p>
    ${check.expectations.length > 0
      ? html`<dl class="expectations">${check.expectations.map(
          (e) => html`<div><dt>${e.attribute}</dt><dd>expected <code class="expected">${e.expected}</code>, got <code class="got">${e.got}</code></dd></div>`,
        )}</dl>`
      : ''}
    ${check.notes.map((note) => html`<p class="note">${note}</p>`)}
    ${check.output ? html`<pre class="excerpt" tabindex="0" aria-label="output of ${check.id}">${check.output}</pre>` : ''}
    ${check.expectations.length === 0 && check.notes.length === 0 && !check.output ? html`<p class="note muted">no detail was recorded for this check</p>` : ''}
  </li>`,
  )}</ul>`;
}
