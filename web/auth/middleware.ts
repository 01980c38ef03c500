import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError, isHtmx, localPath } from '../http.ts';
import type { Viewer } from '../views/layout.ts';
import { parseCookies, serializeCookie, tokensEqual } from './cookies.ts';
import { roleAtLeast, ROLE_LABELS, type Role } from './roles.ts';
import type { Session, UserStore } from './user-store.ts';

declare global {
  namespace Express {
    interface Locals {
      session?: Session | null;
      sessionToken?: string | null;
    }
  }
}

export const SESSION_COOKIE = 'patchlab_session';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Finds the session the cookie names, if it is still valid, for every request. */
export function loadSession(users: UserStore): RequestHandler {
  return (req, res, next) => {
    const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? null;
    const session = token ? users.sessionFor(token) : null;
    res.locals.session = session;
    res.locals.sessionToken = session ? token : null;
    next();
  };
}

export function viewerOf(res: Response): Viewer | null {
  const session = res.locals.session;
  return session ? { name: session.user.name, role: session.user.role, csrfToken: session.csrfToken } : null;
}

/** The logged-in viewer; only for routes behind requireLogin. */
export function mustView(res: Response): Viewer {
  const viewer = viewerOf(res);
  if (!viewer) throw new HttpError(401, 'log in first');
  return viewer;
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, token, { maxAgeSeconds, secure });
}

/**
 * Anyone not logged in goes to the login page, and comes back to where they were going. htmx
 * follows HX-Redirect with a full page load, so a poll of an expired session lands there too.
 */
export function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.session) return next();
  const back = isHtmx(req) ? pathOf(req.get('hx-current-url')) : req.method === 'GET' ? req.originalUrl : '/';
  const login = `/login?next=${encodeURIComponent(localPath(back))}`;
  if (isHtmx(req)) {
    res.status(401).set('HX-Redirect', login).end();
    return;
  }
  res.redirect(303, login);
}

export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const session = res.locals.session;
    if (!session) return next(new HttpError(401, 'log in first'));
    if (!roleAtLeast(session.user.role, role)) {
      return next(new HttpError(403, `this needs the ${ROLE_LABELS[role]} role; ${session.user.name} is a ${ROLE_LABELS[session.user.role]}`));
    }
    next();
  };
}

/**
 * Every state-changing request of a session carries the session's own token, in the form or in
 * an X-CSRF-Token header. Another site can make a browser send the cookie (SameSite=Strict aside)
 * but cannot read the token. Requests the browser itself marks as cross-site are refused outright.
 * Without a session there is nothing to forge; requireLogin sends such requests to the login page.
 */
export function csrfGuard(req: Request, res: Response, next: NextFunction): void {
  if (!UNSAFE_METHODS.has(req.method)) return next();
  if (req.get('sec-fetch-site') === 'cross-site') return next(new HttpError(403, 'a request from another site cannot change anything here'));
  // Defence in depth beside the token and SameSite: a browser names the page a POST came from.
  if (!sameOrigin(req.get('origin'), req.get('host'))) return next(new HttpError(403, 'a request from another site cannot change anything here'));
  const session = res.locals.session;
  if (!session) return next();
  const sent = (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined) ?? req.get('x-csrf-token') ?? '';
  if (!tokensEqual(sent, session.csrfToken)) {
    return next(new HttpError(403, 'the form is missing its security token or it is out of date; reload the page and try again'));
  }
  next();
}

/** No Origin header (a CLI, an older browser) is let through to the token check; one naming another host is not. */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return origin !== 'null' && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}
