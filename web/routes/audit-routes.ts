import { Router, type Request } from 'express';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { mustView } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { HttpError, sendHtml } from '../http.ts';
import { auditChoices, auditRows, parseAuditFilter, type AuditFilter } from '../model/audit-log.ts';
import { auditCsv } from '../views/audit-csv.ts';
import { auditPage } from '../views/audit-page.ts';

/** The audit log across rollouts (/audit) and its CSV export (/audit.csv), for every logged-in role. */
export function auditRoutes(ctx: WebContext): Router {
  const router = Router();

  /** Every rollout's state, newest rollout first; auditRows filters them. */
  const allStates = async (): Promise<{ ids: string[]; states: RolloutState[] }> => {
    const ids = (await ctx.store.listRollouts()).map((r) => r.id);
    const records = await Promise.all(ids.map((id) => ctx.store.loadRollout(id)));
    return { ids, states: records.flatMap((r) => (r ? [r.state] : [])) };
  };

  const filterOf = (req: Request): { filter: AuditFilter; problems: string[] } => {
    const parsed = parseAuditFilter(req.query);
    return 'filter' in parsed ? { filter: parsed.filter, problems: [] } : { filter: {}, problems: parsed.problems };
  };

  router.get('/audit', async (req, res) => {
    const { filter, problems } = filterOf(req);
    const { ids, states } = await allStates();
    const choices = auditChoices(states);
    const rows = problems.length > 0 ? [] : auditRows(states, filter);
    sendHtml(res, problems.length > 0 ? 400 : 200, auditPage({ rows, filter, rollouts: ids, ...choices, problems }, mustView(res)));
  });

  router.get('/audit.csv', async (req, res) => {
    const { filter, problems } = filterOf(req);
    if (problems.length > 0) throw new HttpError(400, problems.join('; '));
    const rows = auditRows((await allStates()).states, filter);
    const stamp = new Date(ctx.now()).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .set({ 'Content-Disposition': `attachment; filename="patchlab-audit-${stamp}.csv"`, 'Cache-Control': 'no-store' })
      .send(auditCsv(rows));
  });

  return router;
}
