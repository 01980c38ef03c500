import { Router } from 'express';
import { mustView, requireRole } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { HttpError, isHtmx, param, sendHtml } from '../http.ts';
import { holdBody } from '../api/api-schemas.ts';
import { formOf } from './form.ts';
import { patchesList, patchesPage } from '../views/patches-page.ts';

export function patchRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/patches', async (_req, res) => {
    sendHtml(res, 200, patchesPage(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs, await ctx.store.listHolds()));
  });

  router.get('/patches/list', async (_req, res) => {
    sendHtml(res, 200, patchesList(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs, await ctx.store.listHolds()));
  });

  router.post('/patches/:image/refresh', requireRole('release-manager'), async (req, res) => {
    ctx.discovery.refresh(param(req, 'image'));
    if (!isHtmx(req)) return res.redirect(303, '/patches');
    sendHtml(res, 200, patchesList(ctx.discovery.list(), mustView(res), ctx.now(), ctx.pollMs, await ctx.store.listHolds()));
  });

  router.post('/holds', requireRole('release-manager'), async (req, res) => {
    const form = formOf(holdBody, req.body);
    await ctx.store.addHold({ pattern: form.package, reason: form.reason, by: mustView(res).name, at: ctx.now() });
    res.redirect(303, '/patches#holds');
  });

  router.post('/holds/lift', requireRole('release-manager'), async (req, res) => {
    const form = formOf(holdBody, req.body);
    if (!(await ctx.store.liftHold(form.package, mustView(res).name, form.reason, ctx.now()))) throw new HttpError(404, `${form.package} is not held`);
    res.redirect(303, '/patches#holds');
  });

  return router;
}
