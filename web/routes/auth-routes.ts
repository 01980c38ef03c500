import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { parseCookies, serializeCookie, tokensEqual } from '../auth/cookies.ts';
import { SESSION_COOKIE, sessionCookie } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { localPath, sendHtml } from '../http.ts';
import { duration } from '../views/format.ts';
import { loginPage } from '../views/login-page.ts';

/** The login form's double-submit token: there is no session yet to hold a synchronizer token. */
const LOGIN_CSRF_COOKIE = 'patchlab_login';

export function authRoutes(ctx: WebContext): Router {
  const router = Router();

  /** The token already in the cookie, or a new one set now. */
  const loginToken = (req: Request, res: Response): string => {
    const existing = parseCookies(req.headers.cookie).get(LOGIN_CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    res.append('Set-Cookie', serializeCookie(LOGIN_CSRF_COOKIE, token, { maxAgeSeconds: 3600, secure: req.secure }));
    return token;
  };
  const noUsers = () => ctx.users.listUsers().length === 0;

  router.get('/login', (req, res) => {
    const next = localPath(req.query.next);
    if (res.locals.session) return res.redirect(303, next);
    sendHtml(res, 200, loginPage({ csrfToken: loginToken(req, res), next, noUsers: noUsers() }));
  });

  router.post('/login', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const userName = typeof body.username === 'string' ? body.username.trim().toLowerCase().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = localPath(body.next);
    const again = (status: number, error: string) =>
      sendHtml(res, status, loginPage({ csrfToken: loginToken(req, res), next, userName, error, noUsers: noUsers() }));

    const cookieToken = parseCookies(req.headers.cookie).get(LOGIN_CSRF_COOKIE) ?? '';
    if (!tokensEqual(typeof body._csrf === 'string' ? body._csrf : '', cookieToken)) {
      return again(403, 'The login form had expired or did not come from this site. Please try again.');
    }
    if (userName === '' || password === '') return again(400, 'Enter your user name and your password.');

    const ip = req.socket.remoteAddress ?? 'unknown';
    const verdict = ctx.throttle.check(ip, userName);
    if (!verdict.allowed) {
      res.set('Retry-After', String(Math.ceil(verdict.retryAfterMs / 1000)));
      return again(429, `Too many failed attempts for ${userName} from your address. Try again in ${duration(verdict.retryAfterMs)}.`);
    }
    const user = await ctx.users.authenticate(userName, password);
    if (!user) {
      ctx.throttle.fail(ip, userName);
      return again(401, 'Wrong user name or password.');
    }
    ctx.throttle.succeed(ip, userName);
    const { token, session } = ctx.users.createSession(user.name);
    res.append('Set-Cookie', sessionCookie(token, (session.expiresAt - ctx.now()) / 1000, req.secure));
    res.append('Set-Cookie', serializeCookie(LOGIN_CSRF_COOKIE, '', { maxAgeSeconds: 0, secure: req.secure }));
    res.redirect(303, next);
  });

  // csrfGuard has checked the session's token by the time this runs.
  router.post('/logout', (req, res) => {
    if (res.locals.sessionToken) ctx.users.endSession(res.locals.sessionToken);
    res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: req.secure }));
    res.redirect(303, '/login');
  });

  return router;
}
