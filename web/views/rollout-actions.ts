import { canAct } from '../auth/roles.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { offeredCommands, type AvailableActions } from '../../rollout/engine/commands.ts';
import { COMMAND_LABELS } from './command-labels.ts';
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
  const buttons = offeredCommands(actions).map((offer) => {
    const label = COMMAND_LABELS[offer.name];
    const value = 'ring' in offer ? `${offer.name}:${offer.ring}` : offer.name;
    const text = 'ring' in offer ? `${label.button} ${offer.ring}` : label.button;
    return label.style ? html`<button type="submit" name="action" value="${value}" class="${label.style}">${text}</button>` : html`<button type="submit" name="action" value="${value}">${text}</button>`;
  });
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
