import type { PolicyChoice } from '../../rollout/drive/policy-choice.ts';
import { policyLabel } from '../model/policy-label.ts';
import type { DriverLease } from '../../rollout/store/lease-store.ts';
import type { HealthSample } from '../../rollout/store/rollout-store.ts';
import { html, path, type SafeHtml } from '../html.ts';
import type { RolloutView } from '../model/rollout-view.ts';
import type { Provenance } from '../model/provenance.ts';
import { whatWaits, type EngineWait } from '../model/waiting.ts';
import { breakable, dateTime } from './format.ts';
import { healthChart } from './health-chart.ts';
import { hostGrid } from './host-grid.ts';
import { layout, type Viewer } from './layout.ts';
import { ringCards } from './ring-cards.ts';
import { rolloutActions, type RollbackQuestion } from './rollout-actions.ts';
import { provenanceCard } from './provenance-card.ts';
import { rolloutSummary } from './rollout-summary.ts';
import { timelineSection } from './timeline.ts';
import { waitingBanner } from './waiting-banner.ts';
import { LIVE_PARTS, livePart, livePoller, partVersions, type LivePart } from './live-changes.ts';

export interface RolloutPageData {
  view: RolloutView;
  scenario: string;
  /** The lease of the patchlab process that drives the rollout; without one nothing moves. */
  driver?: DriverLease;
  samples: readonly HealthSample[];
  now: number;
  pollMs: number;
  /** A reason to put back in the field after a refused command. */
  reason?: string;
  /** A rollback waiting for its confirmation. */
  rollback?: RollbackQuestion;
  /** The users who may steer it, named where the rollout waits for one of them. */
  approvers?: readonly string[];
  /** Where the patch came from; the full page shows it, the live part has no need. */
  provenance?: Provenance;
  /** How the rollout came by its policy: the summary's label says it short, the full page in a line. */
  policyChoice?: PolicyChoice;
  /** Its host steps queued for an engine no live worker is on. */
  engines?: readonly EngineWait[];
}

/** Who drives the rollout, from its lease in the store; or that nobody does, and how to change that. */
function driverLine(data: RolloutPageData): SafeHtml {
  const { state } = data.view;
  if (!data.driver) {
    return html`<p class="flash warn" id="undriven">No patchlab process drives this rollout: nothing moves, and commands given here wait, until <code>patchlab rollout start ${data.scenario} --id ${state.id}</code> runs.</p>`;
  }
  const [host, pid] = data.driver.owner.split(':');
  return html`<p class="muted" id="driver">Driven by patchlab process ${pid ?? '?'} on ${host ?? '?'} (lease epoch ${data.driver.epoch}).</p>`;
}

type SharedPart = Exclude<LivePart, 'actions'>;

/** The parts every viewer sees alike, as last rendered from each view (views are never changed once made). */
const rendered = new WeakMap<RolloutView, { inputs: unknown[]; parts: Record<SharedPart, SafeHtml> }>();

/**
 * The parts that are the same for every viewer, rendered once for the inputs given: a view handed
 * to many requests (RolloutViews keeps one a second) is rendered once. The viewer's own part (the
 * buttons of their role, with their session's CSRF token) is never kept: see liveParts.
 */
function sharedParts(data: RolloutPageData): Record<SharedPart, SafeHtml> {
  const { view, samples, now } = data;
  // The waits for workers are read afresh for each request: compared by what they say.
  const inputs = [now, samples, data.policyChoice, data.scenario, data.driver?.owner, data.driver?.epoch, (data.approvers ?? []).join('\n'), JSON.stringify(data.engines ?? [])];
  const known = rendered.get(view);
  if (known && known.inputs.every((input, i) => Object.is(input, inputs[i]))) return known.parts;
  const { state } = view;
  const parts = {
    summary: rolloutSummary(view, now, view.finished ? '' : driverLine(data), policyLabel(data.policyChoice ?? null, state.patch)),
    waiting: waitingBanner(whatWaits(state, now, data.engines), data.approvers ?? [], now),
    rings: html`<section class="card" aria-labelledby="rings-title"><h2 id="rings-title">Rings</h2>${ringCards(view.rings)}</section>`,
    chart: html`<section class="card" aria-labelledby="chart-title"><h2 id="chart-title">Ring health over time</h2>${healthChart(samples, state.rings.map((r) => r.name))}</section>`,
    hosts: html`<section class="card hosts" aria-labelledby="hosts-title"><h2 id="hosts-title">Hosts</h2>${hostGrid(view.rings, view.hosts, state.patch.version, now)}</section>`,
  };
  rendered.set(view, { inputs, parts });
  return parts;
}

/** Everything on the page that changes while the rollout runs, part by part, in the order shown. */
export function liveParts(data: RolloutPageData, viewer: Viewer): Record<LivePart, SafeHtml> {
  const { summary, waiting, rings, chart, hosts } = sharedParts(data);
  return { summary, waiting, actions: rolloutActions(data.view.state, viewer, { reason: data.reason, rollback: data.rollback }), rings, chart, hosts };
}

/** The whole live section, swapped by morphing so nothing flickers; its poller then asks only for what changed. */
export function rolloutLive(data: RolloutPageData, viewer: Viewer): SafeHtml {
  const parts = liveParts(data, viewer);
  return html`${livePoller(data.view.state.id, data.pollMs, data.view.finished, partVersions(parts))}
${LIVE_PARTS.map((name) => livePart(name, parts[name]))}`;
}

export function rolloutPage(data: RolloutPageData, viewer: Viewer): SafeHtml {
  const { state } = data.view;
  const body = html`<nav class="crumbs"><a href="/rollouts">Rollouts</a> ›</nav>
<h1 class="rollout-title">${breakable(state.id)}</h1>
<p class="muted meta">scenario <span class="scenario">${data.scenario}</span> · started ${dateTime(state.createdAt)}</p>
${data.policyChoice ? html`<p class="policy-choice" id="policy-choice">${data.policyChoice.text}</p>` : ''}
<div class="rollout-layout">
  <div id="live">${rolloutLive(data, viewer)}</div>
  ${data.provenance ? provenanceCard(data.provenance, state.patch) : ''}
  ${timelineSection(state, data.pollMs, !data.view.finished)}
</div>`;
  return layout({ title: `Rollout ${state.id}`, section: 'rollouts', viewer, body });
}
