import type { HostPhase } from '../../rollout/engine/state.ts';
import { html, type SafeHtml } from '../html.ts';
import type { RingTiming } from '../model/ring-history.ts';
import type { RingView } from '../model/rollout-view.ts';
import { clock, duration, percent, words } from './format.ts';

/** Host phases in the order a ring's bar shows them, left to right. */
export const PHASE_ORDER: readonly HostPhase[] = ['healthy', 'failed', 'patching', 'rolling-back', 'rolled-back', 'pending'];

/** One bar of the ring's hosts by phase, as SVG so widths need no inline style. Pure. */
export function healthBar(counts: Record<HostPhase, number>, size: number): SafeHtml {
  const total = Math.max(size, 1);
  let x = 0;
  const segments = PHASE_ORDER.filter((phase) => counts[phase] > 0).map((phase) => {
    const width = (counts[phase] / total) * 100;
    const rect = html`<rect class="seg phase-${phase}" x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="10"><title>${counts[phase]} ${words(phase)}</title></rect>`;
    x += width;
    return rect;
  });
  const label = PHASE_ORDER.filter((p) => counts[p] > 0).map((p) => `${counts[p]} ${words(p)}`).join(', ') || 'no hosts';
  return html`<svg class="health-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${label}">${segments}</svg>`;
}

export function ringCards(rings: readonly RingView[]): SafeHtml {
  return html`<div class="rings">${rings.map(ringCard)}</div>`;
}

function ringCard(ring: RingView): SafeHtml {
  const h = ring.health;
  const failed = h?.failed.length ?? 0;
  const budgetClass = h?.breached ? 'over' : failed > 0 ? 'spent' : 'ok';
  return html`<article class="ring${ring.current ? ' current' : ''}" id="ring-${ring.name}" data-status="${ring.status}">
  <header><h3>${ring.name}</h3><span class="badge status-${ring.status}">${words(ring.status)}</span></header>
  ${healthBar(ring.counts, ring.size)}
  <dl class="figures">
    <div><dt>hosts</dt><dd class="host-counts">${hostCounts(ring)}</dd></div>
    <div><dt>pass rate</dt><dd class="pass-rate">${percent(h?.passRate ?? null)}${h && h.patched > 0 ? html` <small>(${h.patched - failed}/${h.patched} patched)</small>` : ''}</dd></div>
    <div><dt>failed / budget</dt><dd class="budget budget-${budgetClass}">${failed} / ${ring.failureBudget}${h?.breached ? ' — over budget' : ''}</dd></div>
    <div><dt>soak</dt><dd class="soak">${soakText(ring)}</dd></div>
    <div><dt>time</dt><dd class="ring-time">${ringTimingLine(ring.timing)}</dd></div>
    ${ring.requiresApproval
      ? html`<div><dt>approval</dt><dd class="approval">${ring.approval ? html`by ${ring.approval.by} at ${clock(ring.approval.at)}` : 'needed before patching'}</dd></div>`
      : ''}
  </dl>
  ${ring.healthAsOf === 'rollback' && h ? html`<p class="as-of">Pass rate and failures as judged when the rollback began; its hosts are back on their base version.</p>` : ''}
  ${h && (h.suspect.length > 0 || h.failed.length > 0)
    ? html`<ul class="problems">${[
        ...h.failed.map((f) => html`<li class="failed">${f.hostId}: ${f.reason}${f.accepted ? ' (accepted)' : ''}</li>`),
        ...h.suspect.map((s) => html`<li class="suspect">${s.hostId}: ${s.reason}, waiting for re-check</li>`),
      ]}</ul>`
    : ''}
</article>`;
}

/** "2 healthy, 1 patching of 3": every phase a host of the ring is in, so a rolled-back ring does not read "0 healthy". */
function hostCounts(ring: RingView): string {
  const parts = PHASE_ORDER.filter((phase) => ring.counts[phase] > 0 && phase !== 'pending').map((phase) => `${ring.counts[phase]} ${words(phase)}`);
  if (parts.length === 0) return `${ring.size} pending`;
  return `${parts.join(', ')} of ${ring.size}`;
}

function soakText(ring: RingView): string {
  if (ring.soak) {
    // The engine does not count time paused, so neither does the countdown: it stands still until resumed.
    if (ring.status === 'paused' && ring.soak.leftMs > 0) return `paused with ${duration(ring.soak.leftMs)} left of ${duration(ring.soak.totalMs)}`;
    return ring.soak.leftMs > 0 ? `${duration(ring.soak.leftMs)} left of ${duration(ring.soak.totalMs)}` : `done (${duration(ring.soak.totalMs)})`;
  }
  if (ring.status === 'promoted' || ring.status === 'completed') return 'done';
  if (ring.status === 'rolling-back' || ring.status === 'rolled-back' || ring.status === 'not-reached') return '–';
  return `${duration(ring.plannedSoakMs)} once patched`;
}

/** "11:54:35 → 12:01:10, 6 min 35 s", or "since 11:54:35, 3 min so far", or "not started". */
function ringTimingLine(timing: RingTiming): SafeHtml {
  if (timing.startedAt === null || timing.durationMs === null) return html`<span class="muted">not started</span>`;
  if (timing.endedAt === null) return html`since ${clock(timing.startedAt)}, ${duration(timing.durationMs)} so far`;
  return html`${clock(timing.startedAt)} → ${clock(timing.endedAt)}, ${duration(timing.durationMs)}`;
}
