import { canAct } from '../auth/roles.ts';
import { html, path, type SafeHtml } from '../html.ts';
import type { AvailableActions } from '../model/rollout-view.ts';
import { csrfField, type Viewer } from './layout.ts';

export const MAX_REASON_LENGTH = 500;

/**
 * The release manager's buttons, only those the rollout's state would accept, under one reason
 * field the server requires. A plain form, so it works without JavaScript; htmx swaps the answer
 * into the live part of the page instead of reloading it. Pure.
 */
export function rolloutActions(id: string, actions: AvailableActions, viewer: Viewer, reason = ''): SafeHtml {
  if (!canAct(viewer.role)) {
    return html`<section class="actions card muted" id="actions"><p>You are watching as a viewer: steering a rollout needs the release manager role.</p></section>`;
  }
  const buttons = [
    ...actions.approve.map((ring) => html`<button type="submit" name="action" value="approve:${ring}" class="primary">Approve ${ring}</button>`),
    actions.promoteTo ? html`<button type="submit" name="action" value="promote:${actions.promoteTo}" class="primary">Promote to ${actions.promoteTo}</button>` : '',
    actions.pause ? html`<button type="submit" name="action" value="pause">Pause</button>` : '',
    actions.resume ? html`<button type="submit" name="action" value="resume" class="primary">Resume</button>` : '',
    actions.rollback ? html`<button type="submit" name="action" value="rollback" class="danger">Roll back</button>` : '',
  ].filter((b) => b !== '');
  if (buttons.length === 0) {
    return html`<section class="actions card muted" id="actions"><p>Nothing left to steer.</p></section>`;
  }
  const url = path`/rollouts/${id}/actions`;
  return html`<section class="actions card" id="actions" aria-labelledby="actions-title">
  <h2 id="actions-title">Steer</h2>
  <form method="post" action="${url}" hx-post="${url}" hx-target="#live" hx-swap="innerHTML" hx-disable="find button" class="stack">
    ${csrfField(viewer)}
    <label for="reason">Reason <small>required; it goes into the audit log with your name</small></label>
    <textarea id="reason" name="reason" rows="2" required maxlength="${MAX_REASON_LENGTH}" placeholder="why, for whoever reads the timeline later">${reason}</textarea>
    <div class="buttons">${buttons}</div>
  </form>
</section>`;
}
