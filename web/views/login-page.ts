import { html, type SafeHtml } from '../html.ts';
import { layout } from './layout.ts';

export interface LoginPageOptions {
  /** The double-submit token, also set as a cookie: a login form posted from another site lacks it. */
  csrfToken: string;
  /** Where to go once logged in; a local path only. */
  next: string;
  userName?: string;
  error?: string;
  /** No user exists yet: say how to create the first admin. */
  noUsers?: boolean;
}

export function loginPage(options: LoginPageOptions): SafeHtml {
  const body = html`<section class="login card">
  <h1>Log in</h1>
  ${options.error ? html`<p class="flash error" role="alert">${options.error}</p>` : ''}
  ${options.noUsers
    ? html`<p class="flash info">No user exists yet. Create the first admin on the server:<br><code>patchlab users add &lt;name&gt; --role admin</code></p>`
    : ''}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="_csrf" value="${options.csrfToken}">
    <input type="hidden" name="next" value="${options.next}">
    <label>User name <input name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="32" value="${options.userName ?? ''}"${options.userName ? '' : html` autofocus`}></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"${options.userName ? html` autofocus` : ''}></label>
    <button type="submit" class="primary">Log in</button>
  </form>
</section>`;
  return layout({ title: 'Log in', section: 'none', viewer: null, body });
}
