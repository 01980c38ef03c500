import { canAct, canAdminister } from '../auth/roles.ts';
import { needsAdmin } from '../../rollout/engine/command-names.ts';
import { html, path, type SafeHtml } from '../html.ts';
import { availableActions, offeredCommands } from '../../rollout/engine/commands.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { rollbackReach, type RollbackReach } from '../model/rollback-reach.ts';
import { COMMAND_LABELS } from './command-labels.ts';
import { commandHelp } from './command-help.ts';
import { csrfField, type Viewer } from './layout.ts';

export const MAX_REASON_LENGTH = 500;

/** A rollback asked for and not yet confirmed: the second step names how many hosts it touches. */
export interface RollbackQuestion {
  reach: RollbackReach;
  reason: string;
  /** The count the release manager confirmed, when the patch has reached more hosts since. */
  confirmedHosts: number | null;
}

export interface ActionsOptions {
  /** A reason to put back in the field after a refused command. */
  reason?: string;
  rollback?: RollbackQuestion;
}

/**
 * The release manager's buttons, only those the rollout's state would accept, under one reason
 * field the server requires, each with a line on what it does. A plain form, so it works without
 * JavaScript; htmx swaps the answer into the live part of the page instead of reloading it. Pure.
 */
export function rolloutActions(state: RolloutState, viewer: Viewer, options: ActionsOptions = {}): SafeHtml {
  if (!canAct(viewer.role)) {
    return html`<section class="actions card muted" id="actions"><p>You are watching as a viewer: steering a rollout needs the release manager role.</p></section>`;
  }
  // An admin's command is not offered to a release manager, who could only be refused.
  const offers = offeredCommands(availableActions(state)).filter((o) => !needsAdmin(o.name) || canAdminister(viewer.role));
  if (offers.length === 0) {
    return html`<section class="actions card muted" id="actions"><p>Nothing left to steer.</p></section>`;
  }
  const reach = rollbackReach(state);
  const buttons = offers.map((offer) => {
    const label = COMMAND_LABELS[offer.name];
    const value = 'ring' in offer ? `${offer.name}:${offer.ring}` : offer.name;
    const text = 'ring' in offer ? `${label.button} ${offer.ring}` : label.button;
    return html`<button type="submit" name="action" value="${value}"${label.style ? html` class="${label.style}"` : ''} aria-describedby="help-${value.replace(':', '-')}">${text}</button>`;
  });
  const help = offers.map((offer) => {
    const value = 'ring' in offer ? `${offer.name}-${offer.ring}` : offer.name;
    const text = 'ring' in offer ? `${COMMAND_LABELS[offer.name].button} ${offer.ring}` : COMMAND_LABELS[offer.name].button;
    return html`<li id="help-${value}"><b>${text}</b> ${commandHelp(offer, state, reach.hosts)}</li>`;
  });
  const url = path`/rollouts/${state.id}/actions`;
  // hx-morph-skip: the live updates render the field empty; a reason typed, or put back after a
  // refusal, stays until a command's answer replaces the form.
  return html`<section class="actions card" id="actions" aria-labelledby="actions-title">
  <h2 id="actions-title">Steer</h2>
  <form method="post" action="${url}" hx-post="${url}" hx-target="#live" hx-swap="innerHTML" hx-disable="find button" class="stack">
    ${csrfField(viewer)}
    <label for="reason">Reason <small>required; it goes into the audit log with your name</small></label>
    <textarea id="reason" name="reason" rows="2" required maxlength="${MAX_REASON_LENGTH}" placeholder="why, for whoever reads the timeline later" hx-morph-skip>${options.reason ?? ''}</textarea>
    <div class="buttons">${buttons}</div>
  </form>
  ${rollbackConfirmation(state.id, viewer, options.rollback)}
  <ul class="command-help">${help}</ul>
</section>`;
}

/**
 * The second step of a rollback. The page polls and morphs its live part every few seconds;
 * hx-morph-skip keeps an open question as it is until it is answered, which swaps the live part
 * whole. The confirmation carries the host count it showed: if the patch reaches more hosts
 * before it is sent, the server asks again with the new count.
 */
function rollbackConfirmation(id: string, viewer: Viewer, question: RollbackQuestion | undefined): SafeHtml {
  if (!question) return html`<div id="rollback-confirm"></div>`;
  const { reach, reason, confirmedHosts } = question;
  const url = path`/rollouts/${id}/actions`;
  const page = path`/rollouts/${id}`;
  const what =
    reach.hosts === 0
      ? 'No host runs the patch yet: the rollout ends without touching a host.'
      : `${reach.byRing.map((r) => `${r.ring}: ${r.hosts}`).join(', ')}. Each goes back to its base version, and the rollout ends rolled back.`;
  return html`<div id="rollback-confirm" class="confirm" role="alert" hx-morph-skip>
  <p class="confirm-question"><b>Roll back ${reach.hosts} host${reach.hosts === 1 ? '' : 's'} now?</b> ${what}</p>
  ${confirmedHosts !== null ? html`<p class="flash warn">You confirmed ${confirmedHosts} host${confirmedHosts === 1 ? '' : 's'}; the patch has reached ${reach.hosts} since. Confirm again.</p>` : ''}
  <p class="muted">Reason: <q>${reason}</q></p>
  <form method="post" action="${url}" hx-post="${url}" hx-target="#live" hx-swap="innerHTML" hx-disable="find button" class="buttons">
    ${csrfField(viewer)}
    <input type="hidden" name="reason" value="${reason}">
    <input type="hidden" name="confirm" value="${reach.hosts}">
    <button type="submit" name="action" value="rollback" class="danger" id="confirm-rollback">Confirm roll back</button>
    <a class="button" id="cancel-rollback" href="${page}" hx-get="${path`/rollouts/${id}/live`}" hx-target="#live" hx-swap="innerHTML">Cancel</a>
  </form>
</div>`;
}
