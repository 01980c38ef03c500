import { createRequire } from 'node:module';
import type { HostScanStore } from '../lab/inventory/scan/scan-store.ts';
import { join } from 'node:path';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { type Store } from '../rollout/store/store.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { csrfGuard, loadSession, requireLogin, viewerOf } from './auth/middleware.ts';
import type { UserStore } from './auth/user-store.ts';
import { describeError } from './error-status.ts';
import type { WebContext } from './context.ts';
import { HttpError, isHtmx, sendHtml } from './http.ts';
import { apiRoutes } from './api/api-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { hostRoutes } from './routes/host-routes.ts';
import { labRoutes } from './routes/lab-routes.ts';
import { bisectRoutes } from './routes/bisect-routes.ts';
import { patchRoutes } from './routes/patch-routes.ts';
import { rolloutRoutes } from './routes/rollout-routes.ts';
import { scheduleRoutes } from './routes/schedule-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { PatchDiscovery } from './services/patch-discovery.ts';
import { PatchAdvisories, type ReadAdvisories } from './model/patch-advisories.ts';
import type { EngineWait } from './model/waiting.ts';
import { errorFlash, errorPage } from './views/error-page.ts';

export interface WebAppOptions {
  store: Store;
  users: UserStore;
  /** Without one, the patches page lists no image. */
  discovery?: PatchDiscovery;
  hostScans?: HostScanStore;
  /** Reads advisories of package updates from the package cache; without it, only a proving lab run's are shown. */
  readAdvisories?: ReadAdvisories;
  throttle?: LoginThrottle;
  now?: () => number;
  pollMs?: number;
  bodyLimitBytes?: number;
  log?: (message: string) => void;
  /** A rollout's waits for workers (rollout/fleets/jobs/worker-waits.ts's workerWaitSource); none without it. */
  workerWaits?: (rolloutId: string, at: number) => Promise<readonly EngineWait[]>;
}

const PUBLIC_DIR = join(import.meta.dirname, 'public');
const HTMX_FILE = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');

/**
 * Scripts and styles from this server only, no inline script or style and no eval: escaping is
 * the first defence against injected markup, this is the second. htmx works within it as long as
 * the pages use no hx-on and no js: values.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // An empty style attribute and nothing else: htmx's morph can copy one (left by a settled
  // transition) onto a node, and an empty style is harmless. The hash is SHA-256 of "".
  "style-src 'self' 'unsafe-hashes' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  next();
};

/** Refuses a body before reading it when its declared size is over the limit, and any type but a form. */
function bodyGate(limit: number): RequestHandler {
  return (req, _res, next) => {
    const length = Number(req.get('content-length') ?? 0);
    if (length > limit) return next(new HttpError(413, `the request body is ${length} bytes; at most ${limit} are accepted`));
    const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/x-www-form-urlencoded')) {
      return next(new HttpError(415, 'only form submissions (application/x-www-form-urlencoded) are accepted'));
    }
    next();
  };
}

export function createApp(options: WebAppOptions): express.Express {
  const now = options.now ?? Date.now;
  const ctx: WebContext = {
    store: options.store,
    users: options.users,
    discovery: options.discovery ?? new PatchDiscovery(async () => ({ candidates: [], advisories: [] }), () => [], now),
    ...(options.hostScans ? { hostScans: options.hostScans } : {}),
    advisories: new PatchAdvisories(options.store, options.readAdvisories),
    throttle: options.throttle ?? new LoginThrottle({ now }),
    now,
    pollMs: options.pollMs ?? 2_000,
    bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024,
    log: options.log ?? ((message) => process.stderr.write(`${message}\n`)),
    workerWaits: options.workerWaits ?? (async () => []),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);

  app.get('/static/htmx.min.js', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('js').sendFile(HTMX_FILE);
  });
  app.use('/static', express.static(PUBLIC_DIR, { index: false, dotfiles: 'ignore', maxAge: '1h' }));
  app.use('/static', (req, _res, next) => next(new HttpError(404, `no file ${req.path} here`)));

  // The API takes JSON and tokens, not forms and cookies: it comes before the page's body and session handling.
  app.use('/api/v1', apiRoutes(ctx));
  app.use(bodyGate(ctx.bodyLimitBytes));
  app.use(express.urlencoded({ extended: false, limit: ctx.bodyLimitBytes, parameterLimit: 50 }));
  app.use(loadSession(ctx.users));
  app.use(csrfGuard);
  app.use(authRoutes(ctx));
  app.use(requireLogin);
  app.get('/', (_req, res) => res.redirect(303, '/rollouts'));
  app.use(rolloutRoutes(ctx));
  app.use(labRoutes(ctx));
  app.use(bisectRoutes(ctx));
  app.use(patchRoutes(ctx));
  app.use(scheduleRoutes(ctx));
  app.use(hostRoutes(ctx));
  app.use(userRoutes(ctx));

  app.use((req, _res, next) => next(new HttpError(404, `nothing at ${req.path}`)));
  app.use(errorHandler(ctx));
  return app;
}

/** Every error becomes a page (or, for htmx, a line in the page's flash area) with no stack trace. */
function errorHandler(ctx: WebContext): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const [status, message] = describeError(error);
    if (status >= 500) ctx.log(`patchlab serve: ${req.method} ${req.originalUrl}: ${(error as Error)?.stack ?? String(error)}`);
    if (res.headersSent) return res.end();
    if (status === 413 || status === 415) res.set('Connection', 'close');
    if (isHtmx(req)) {
      res.set({ 'HX-Retarget': '#flash', 'HX-Reswap': 'innerHTML' });
      return sendHtml(res, status, errorFlash(message));
    }
    sendHtml(res, status, errorPage(status, message, viewerOf(res)));
  };
}
