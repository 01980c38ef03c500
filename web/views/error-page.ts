import { html, type SafeHtml } from '../html.ts';
import { layout, type Viewer } from './layout.ts';

/** A refusal or a failure in words; never a stack trace, which stays in the server's log. */
export function errorPage(status: number, message: string, viewer: Viewer | null): SafeHtml {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
  const body = html`<section class="card error-page">
  <h1><span class="status">${status}</span> ${title}</h1>
  <p>${message}</p>
  <p><a href="/rollouts">Back to the rollouts</a></p>
</section>`;
  return layout({ title, section: 'none', viewer, body });
}

/** The same message as a fragment, for a request htmx made: it lands inside the page. */
export function errorFlash(message: string): SafeHtml {
  return html`<p class="flash error" role="alert">${message}</p>`;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible now',
  413: 'Request too large',
  415: 'Unsupported request',
  429: 'Too many attempts',
};
