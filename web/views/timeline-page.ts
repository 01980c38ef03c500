import type { RolloutState } from '../../rollout/engine/state.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { breakable } from './format.ts';
import { layout, type Viewer } from './layout.ts';
import { olderEntriesControl, TIMELINE_PAGE, timelineEntries } from './timeline.ts';

/**
 * Older entries of a rollout's timeline as a page of their own: where the "older entries" link
 * leads without JavaScript. Its own link fetches the next page in place where htmx runs.
 */
export function timelinePage(state: RolloutState, before: number, viewer: Viewer): SafeHtml {
  const from = Math.max(0, before - TIMELINE_PAGE);
  const rollout = path`/rollouts/${state.id}`;
  const body = html`<nav class="crumbs"><a href="/rollouts">Rollouts</a> › <a href="${rollout}">${breakable(state.id)}</a> ›</nav>
<h1>Decisions ${from + 1} to ${before} of ${state.audit.length}</h1>
<p class="muted"><a href="${rollout}#timeline-title">Back to the rollout and its latest decisions</a></p>
<section class="timeline card" aria-labelledby="timeline-title">
  <h2 id="timeline-title">Decisions <small>newest first</small></h2>
  <ol id="timeline" class="timeline-list">${timelineEntries(state, from, before)}</ol>
  ${olderEntriesControl(state.id, from)}
</section>`;
  return layout({ title: `Decisions of rollout ${state.id}`, section: 'rollouts', viewer, body });
}
