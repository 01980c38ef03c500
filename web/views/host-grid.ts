import { html, type SafeHtml } from '../html.ts';
import type { HostView, RingView } from '../model/rollout-view.ts';
import { ago, words } from './format.ts';
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

function hostTile(host: HostView, target: string, now: number): SafeHtml {
  const check = host.lastCheck;
  const checkLine = !check
    ? html`<span class="check none">no check yet</span>`
    : check.failing === null
      ? html`<span class="check none">checks skipped · ${ago(check.at, now)}</span>`
      : check.failing.length === 0
        ? html`<span class="check pass">✓ ${check.checks.length} check${check.checks.length === 1 ? '' : 's'} pass · ${ago(check.at, now)}</span>`
        : html`<span class="check fail">✗ ${check.failing.join(', ')} · ${ago(check.at, now)}</span>`;
  const versions = host.version === host.baseVersion ? host.version : `${host.baseVersion} → ${host.version}`;
  return html`<li class="host phase-${host.phase}" id="host-${host.id}" data-phase="${host.phase}">
  <div class="host-head"><strong>${host.id}</strong><span class="phase">${words(host.phase)}</span></div>
  <div class="versions${host.version === target ? ' on-target' : ''}" title="base ${host.baseVersion}, now ${host.version}, target ${target}">${versions}</div>
  <div>${checkLine}</div>
  ${host.failure ? html`<div class="failure">${host.failure.reason}${host.failure.acceptedBy ? ` (accepted by ${host.failure.acceptedBy})` : ''}</div>` : ''}
</li>`;
}
