import { Router } from 'express';
import { groupCompliance, GROUP_COLUMNS, HOST_COLUMNS, hostCells, hostCompliance, type HostCompliance } from '../../lab/inventory/scan/compliance.ts';
import { toCsv } from '../../lab/inventory/scan/csv.ts';
import type { Store } from '../../rollout/store/store.ts';
import { mustView } from '../auth/middleware.ts';
import type { WebContext } from '../context.ts';
import { sendHtml } from '../http.ts';
import { hostsPage } from '../views/hosts-page.ts';

/** Rollouts looked at for when they patched a server: the newest ones are the ones that matter. */
const ROLLOUTS_READ = 50;

/**
 * When rollouts over servers last patched each one (ms, by inventory name): a server that runs
 * a rollout's patch, as its record says. Container fleets are left out: their hosts are gone.
 */
export async function patchedByRollouts(store: Store): Promise<Map<string, number>> {
  const patched = new Map<string, number>();
  const summaries = [...(await store.listRollouts())].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, ROLLOUTS_READ);
  for (const summary of summaries) {
    const record = await store.loadRollout(summary.id);
    if (!record || !('servers' in record.meta)) continue;
    for (const host of record.state.hosts) {
      if (host.phase !== 'healthy' || host.version !== record.state.patch.version || host.patchedAt === null) continue;
      patched.set(host.id, Math.max(patched.get(host.id) ?? 0, host.patchedAt));
    }
  }
  return patched;
}

async function compliance(ctx: WebContext): Promise<HostCompliance[]> {
  const scans = ctx.hostScans;
  if (!scans) return [];
  return hostCompliance(scans.latest(), (host) => scans.firstSeen(host), await patchedByRollouts(ctx.store));
}

/** The Hosts page and its exports; any logged-in user may read them. */
export function hostRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/hosts', async (_req, res) => {
    sendHtml(res, 200, hostsPage(await compliance(ctx), ctx.now(), mustView(res)));
  });

  router.get('/hosts.csv', async (_req, res) => {
    mustView(res);
    const hosts = await compliance(ctx);
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .set({ 'Cache-Control': 'no-store', 'Content-Disposition': 'attachment; filename="hosts.csv"' })
      .send(toCsv(HOST_COLUMNS, hosts.map((h) => hostCells(h, ctx.now()))));
  });

  router.get('/hosts.json', async (_req, res) => {
    mustView(res);
    const hosts = await compliance(ctx);
    res.set('Cache-Control', 'no-store').json({ columns: { hosts: HOST_COLUMNS, groups: GROUP_COLUMNS }, hosts, groups: groupCompliance(hosts) });
  });

  return router;
}
