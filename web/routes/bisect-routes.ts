import { Router } from 'express';
import { z } from 'zod';
import { mustView, requireRole } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { HttpError, isHtmx, param, sendHtml } from '../http.ts';
import { formOf } from './form.ts';
import { bisectLive, bisectPage } from '../views/bisect-page.ts';

const holdForm = z.object({
  reason: z
    .string({ error: 'give a reason: it goes into the record of holds' })
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'give a reason: it goes into the record of holds').max(500, 'keep the reason under 500 characters')),
});

/** A bisection as it goes, and its proposed hold applied by a release manager. */
export function bisectRoutes(ctx: WebContext): Router {
  const router = Router();
  const load = async (id: string) => {
    const bisect = await ctx.store.loadBisect(id);
    if (!bisect) throw new HttpError(404, `no bisection ${id}`);
    return bisect;
  };

  router.get('/bisects/:id', async (req, res) => {
    sendHtml(res, 200, bisectPage(await load(param(req, 'id')), mustView(res), await ctx.store.listHolds(), ctx.pollMs));
  });

  router.get('/bisects/:id/live', async (req, res) => {
    sendHtml(res, 200, bisectLive(await load(param(req, 'id')), mustView(res), await ctx.store.listHolds(), ctx.pollMs));
  });

  // Holds what the bisection proposes, by name, each recorded with the release manager and the reason.
  router.post('/bisects/:id/hold', requireRole('release-manager'), async (req, res) => {
    const bisect = await load(param(req, 'id'));
    if (bisect.status !== 'finished' || bisect.hold.length === 0) throw new HttpError(409, `bisection ${bisect.bisectId} proposes no hold${bisect.status === 'finished' ? '' : ` (it is ${bisect.status})`}`);
    const form = formOf(holdForm, req.body);
    const held = new Set((await ctx.store.listHolds()).map((h) => h.pattern));
    for (const name of bisect.hold.filter((n) => !held.has(n))) {
      await ctx.store.addHold({ pattern: name, reason: form.reason, by: mustView(res).name, at: ctx.now() });
    }
    if (isHtmx(req)) return sendHtml(res, 200, bisectLive(bisect, mustView(res), await ctx.store.listHolds(), ctx.pollMs));
    res.redirect(303, `/bisects/${encodeURIComponent(bisect.bisectId)}`);
  });

  return router;
}
