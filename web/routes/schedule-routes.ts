import { Router } from 'express';
import { mustView } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { sendHtml } from '../http.ts';
import { schedulesPage } from '../views/schedules-page.ts';

export function scheduleRoutes(ctx: WebContext): Router {
  const router = Router();
  router.get('/schedules', async (_req, res) => {
    sendHtml(res, 200, schedulesPage(await ctx.store.listSchedules(), await ctx.store.scheduleRuns(), mustView(res)));
  });
  return router;
}
