import type { Hold } from '../../lab/holds/holds.ts';
import { canAct } from '../auth/roles.ts';
import { html, type SafeHtml } from '../html.ts';
import { dateTime } from './format.ts';
import { csrfField, type Viewer } from './layout.ts';

/** The packages held back from every patch, with who and why; release managers hold and lift here, each with a reason. Pure. */
export function holdsPanel(holds: readonly Hold[], viewer: Viewer): SafeHtml {
  const acts = canAct(viewer.role);
  const rows = holds.map(
    (h) => html`<tr data-hold="${h.pattern}"><td><b>${h.pattern}</b></td><td>${h.by}</td><td>${h.at > 0 ? dateTime(h.at) : h.source}</td><td>${h.reason}</td><td>${
      acts && h.source === 'store'
        ? html`<form method="post" action="/holds/lift" class="inline">${csrfField(viewer)}<input type="hidden" name="package" value="${h.pattern}"><input name="reason" required maxlength="500" placeholder="why lift it" aria-label="reason to lift ${h.pattern}"><button type="submit">Lift</button></form>`
        : ''
    }</td></tr>`,
  );
  return html`<section class="card" id="holds" aria-labelledby="holds-title">
  <h2 id="holds-title">Holds</h2>
  <p class="muted">Held packages are left out of every lab run, rollout and scheduled run, which say so; a patch that still needs one is refused. Every hold and lift is recorded with who and why.</p>
  ${holds.length > 0
    ? html`<div class="table-wrap"><table class="list"><thead><tr><th>Package</th><th>Held by</th><th>Since</th><th>Why</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`
    : html`<p>Nothing is held.</p>`}
  ${acts
    ? html`<form method="post" action="/holds" class="stack">${csrfField(viewer)}
    <label for="hold-package">Hold a package <small>a name or a glob such as linux-image-*</small></label>
    <input id="hold-package" name="package" required maxlength="100">
    <label for="hold-reason">Reason <small>required; it goes into the record with your name</small></label>
    <input id="hold-reason" name="reason" required maxlength="500">
    <div class="buttons"><button type="submit" class="primary">Hold</button></div>
  </form>`
    : ''}
</section>`;
}
