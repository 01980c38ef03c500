import { ROLE_LABELS, canAdminister, type Role } from '../auth/roles.ts';
import { html, type SafeHtml } from '../html.ts';

export type Section = 'rollouts' | 'lab-runs' | 'patches' | 'schedules' | 'hosts' | 'audit' | 'users' | 'none';

export interface Viewer {
  name: string;
  role: Role;
  /** Goes into every form this page posts. */
  csrfToken: string;
}

export interface PageOptions {
  title: string;
  section: Section;
  /** Null on the login page and for error pages shown before login. */
  viewer: Viewer | null;
  body: SafeHtml;
}

const NAV: { section: Section; href: string; label: string }[] = [
  { section: 'rollouts', href: '/rollouts', label: 'Rollouts' },
  { section: 'lab-runs', href: '/lab-runs', label: 'Lab runs' },
  { section: 'patches', href: '/patches', label: 'Patches' },
  { section: 'schedules', href: '/schedules', label: 'Schedules' },
  { section: 'hosts', href: '/hosts', label: 'Hosts' },
  { section: 'audit', href: '/audit', label: 'Audit' },
];

/** The hidden field every state-changing form carries. */
export function csrfField(viewer: Viewer): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrfToken}">`;
}

/**
 * The page shell. htmx comes from the installed package and the config turns off what the
 * Content-Security-Policy would refuse anyway (no inline styles, no eval).
 */
export function layout({ title, section, viewer, body }: PageOptions): SafeHtml {
  const nav = viewer ? [...NAV, ...(canAdminister(viewer.role) ? [{ section: 'users' as const, href: '/users', label: 'Users' }] : [])] : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorCSS": false, "defaultTimeout": 15000}'>
<title>${title} · patchlab</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/htmx.min.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">patch<b>lab</b></a>
  <nav aria-label="main">${nav.map((item) => html`<a href="${item.href}"${item.section === section ? html` aria-current="page"` : ''}>${item.label}</a>`)}</nav>
  ${viewer
    ? html`<div class="who">
    <span class="user" data-role="${viewer.role}">${viewer.name} <small>${ROLE_LABELS[viewer.role]}</small></span>
    <form method="post" action="/logout">${csrfField(viewer)}<button class="link" type="submit">Log out</button></form>
  </div>`
    : ''}
</header>
<main>
<div id="flash" aria-live="polite"></div>
${body}
</main>
</body>
</html>
`;
}
