import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Router } from 'express';
import { mustView } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { HttpError, sendHtml } from '../http.ts';
import { LabRunPatches } from '../model/lab-run-patches.ts';
import { labRunPage, labRunsPage, screenshotsOf } from '../views/lab-run-page.ts';

export function labRoutes(ctx: WebContext): Router {
  const router = Router();
  const patches = new LabRunPatches(ctx.store);

  router.get('/lab-runs', async (_req, res) => {
    const runs = await ctx.store.listLabRuns({ limit: 200 });
    sendHtml(res, 200, labRunsPage(runs, await patches.all(runs), mustView(res)));
  });

  router.get('/lab-runs/:runId', async (req, res) => {
    const report = await ctx.store.loadLabRun(req.params.runId);
    if (!report) throw new HttpError(404, `no lab run ${req.params.runId}`);
    sendHtml(res, 200, labRunPage(report, mustView(res), await ctx.store.listBisects({ runId: report.runId })));
  });

  // By position in the report only: the request never names a file.
  router.get('/lab-runs/:runId/screenshots/:n', async (req, res) => {
    const report = await ctx.store.loadLabRun(req.params.runId);
    if (!report) throw new HttpError(404, `no lab run ${req.params.runId}`);
    const n = Number(req.params.n);
    const shot = Number.isSafeInteger(n) && n >= 0 ? screenshotsOf(report)[n] : undefined;
    if (!shot) throw new HttpError(404, `lab run ${report.runId} has no screenshot ${req.params.n}`);
    if (!isAbsolute(shot.file) || !shot.file.endsWith('.png') || !existsSync(shot.file)) {
      throw new HttpError(404, `the screenshot of ${shot.check.name} is no longer on disk`);
    }
    res.set('Cache-Control', 'private, max-age=3600');
    res.type('png').sendFile(shot.file, { dotfiles: 'allow' });
  });

  return router;
}
