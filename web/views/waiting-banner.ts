import { html, type SafeHtml } from '../html.ts';
import type { Waiting } from '../model/waiting.ts';
import { formatDuration } from '../../rollout/engine/format.ts';
import { ago, clock, dateTime } from './format.ts';

/**
 * The banner over a rollout that waits for a person or a worker: what waits, since when, and who
 * may act (release managers, by name). `approvers` are the users with that role or above. Pure.
 */
export function waitingBanner(waiting: Waiting | null, approvers: readonly string[], now: number): SafeHtml {
  if (!waiting) return html``;
  const since = html`since ${clock(waiting.since)} UTC (${ago(waiting.since, now)})`;
  const who = html`<p class="who-acts">Who may act: release managers${approvers.length > 0 ? html` (${approvers.join(', ')})` : ' (none yet: an admin gives the role on the Users page)'}.</p>`;
  if (waiting.kind === 'age') {
    const shown = waiting.young.slice(0, 5);
    return html`<section class="waiting card" id="waiting" data-waits="age" role="status" aria-labelledby="waiting-title">
  <h2 id="waiting-title">Waiting for the minimum age until ${dateTime(waiting.until)}</h2>
  <p>The minimum age is ${formatDuration(waiting.minimumAgeMs)}: ${waiting.young.length} update${waiting.young.length === 1 ? ' is' : 's are'} younger. No host is patched before then (in ${formatDuration(waiting.until - now)}); then the rollout goes on by itself.</p>
  <ul class="young-updates">${shown.map((u) => html`<li><b>${u.name}</b> ${u.version}: first seen ${dateTime(u.firstSeenAt)}</li>`)}${waiting.young.length > shown.length ? html`<li>and ${waiting.young.length - shown.length} more</li>` : ''}</ul>
  <p class="who-acts">Who may act: an admin, who may override the wait with a reason (it goes into the audit log).</p>
</section>`;
  }
  if (waiting.kind === 'worker') {
    return html`<section class="waiting card" id="waiting" data-waits="worker" role="status" aria-labelledby="waiting-title">
  <h2 id="waiting-title">Waiting for a worker on engine ${waiting.engines.map((e) => e.engine).join(', ')}</h2>
  <ul class="engine-waits">${waiting.engines.map(
    (e) =>
      html`<li data-engine="${e.engine}">Waiting for a worker on engine <code>${e.engine}</code> since ${clock(e.since)} UTC (${ago(e.since, now)}): the steps of ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'} (${e.hosts.join(', ')}) are queued, and no live <code>patchlab worker</code> is on that engine.</li>`,
  )}</ul>
  <p class="who-acts">Who may act: whoever runs the lab machines: start <code>patchlab worker --docker-host URL</code> on each engine named; it takes the steps as soon as it beats.</p>
</section>`;
  }
  if (waiting.kind === 'approval') {
    return html`<section class="waiting card" id="waiting" data-waits="approval" role="status" aria-labelledby="waiting-title">
  <h2 id="waiting-title">Waiting for approval: ring ${waiting.ring}</h2>
  <p>Ring <b>${waiting.ring}</b> (${waiting.hosts} host${waiting.hosts === 1 ? '' : 's'}) needs a release manager's approval before its first host is patched. Nothing moves until then. Waiting ${since}.</p>
  ${who}
</section>`;
  }
  return html`<section class="waiting card" id="waiting" data-waits="resume" role="status" aria-labelledby="waiting-title">
  <h2 id="waiting-title">Paused in ring ${waiting.ring}</h2>
  <p>Paused by ${waiting.by} ${since}: ${waiting.reason}</p>
  <p>No new host is patched and the soak clock stands still until a release manager resumes, promotes or rolls back.</p>
  ${who}
</section>`;
}
