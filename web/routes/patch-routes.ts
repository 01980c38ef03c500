import { Router } from 'express';
import { mustView, requireRole } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { isHtmx, param, sendHtml } from '../http.ts';
import { patchesList, patchesPage } from '../views/patches-page.ts';

export function patchRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/patches', (_req, res) => {
    sendHtml(res, 200, patchesPage(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs));
  });

  router.get('/patches/list', (_req, res) => {
    sendHtml(res, 200, patchesList(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs));
  });

  router.post('/patches/:image/refresh', requireRole('release-manager'), (req, res) => {
    ctx.discovery.refresh(param(req, 'image'));
    if (!isHtmx(req)) return res.redirect(303, '/patches');
    sendHtml(res, 200, patchesList(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs));
  });

  return router;
}
