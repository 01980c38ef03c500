import express, { Router, type ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import { giveCommand } from '../../rollout/drive/control.ts';
import { needsAdmin } from '../../rollout/engine/command-names.ts';
import { canAdminister, ROLE_LABELS } from '../auth/roles.ts';
import type { WebContext } from '../context.ts';
import { describeError } from '../error-status.ts';
import { HttpError, param } from '../http.ts';
import { commandBody, holdBody, labRunsQuery, liftBody } from './api-schemas.ts';
import { bearerAuth, requireApiRole } from './bearer-auth.ts';
import { openApiDocument } from './openapi.ts';
import { rolloutJson, summaryJson } from './rollout-json.ts';
import { advisoryOf } from '../../lab/advisories/format.ts';
import { readMeta } from '../model/provenance.ts';

/**
 * The JSON API for automation, under /api/v1: read rollouts, lab runs, schedules and hosts; give
 * the same commands as the page, with the same roles, recorded in the same audit log under the
 * token's user. Errors are JSON too: `{ "error": "what went wrong" }` with the page's statuses.
 */
export function apiRoutes(ctx: WebContext): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.use(bearerAuth(ctx.users));
  router.use(express.json({ limit: ctx.bodyLimitBytes }));

  router.get('/rollouts', async (_req, res) => {
    const now = ctx.now();
    res.json({ rollouts: (await ctx.store.listRollouts()).map((r) => summaryJson(r, now)) });
  });

  router.get('/rollouts/:id', async (req, res) => {
    const record = await ctx.store.loadRollout(param(req, 'id'));
    if (!record) throw new HttpError(404, `no rollout ${param(req, 'id')}`);
    const { packages, labRunId } = readMeta(record.meta);
    res.json({ ...rolloutJson(record, ctx.now(), await ctx.workerWaits(record.id, ctx.now())), advisories: packages === null ? null : await ctx.advisories.of(packages, labRunId) });
  });

  router.get('/patches', (_req, res) => {
    res.json({
      images: ctx.discovery.list().map((e) => ({
        image: e.image,
        status: e.status,
        foundAt: e.foundAt === null ? null : new Date(e.foundAt).toISOString(),
        error: e.error,
        candidates: e.candidates.map((c) => ({ ...c, source: advisoryOf(e.advisories, c.name)?.source ?? null })),
        advisories: e.advisories,
      })),
    });
  });

  router.post('/rollouts/:id/commands', requireApiRole('release-manager'), async (req, res) => {
    if (!req.is('application/json')) throw new HttpError(415, 'send the command as JSON (Content-Type: application/json)');
    const command = parse(commandBody, req.body);
    const user = res.locals.apiUser!;
    if (needsAdmin(command.name) && !canAdminister(user.role)) throw new HttpError(403, `${command.name} needs the admin role; ${user.name} is a ${ROLE_LABELS[user.role]}`);
    const id = param(req, 'id');
    await giveCommand(ctx.store, id, { ...command, actor: res.locals.apiUser!.name }, ctx.now);
    const record = await ctx.store.loadRollout(id);
    if (!record) throw new HttpError(404, `no rollout ${id}`);
    res.json(rolloutJson(record, ctx.now(), await ctx.workerWaits(record.id, ctx.now())));
  });

  router.get('/lab-runs', async (req, res) => {
    const query = labRunsQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    res.json({ labRuns: await ctx.store.listLabRuns(query.data) });
  });

  router.get('/lab-runs/:id', async (req, res) => {
    const report = await ctx.store.loadLabRun(param(req, 'id'));
    if (!report) throw new HttpError(404, `no lab run ${param(req, 'id')}`);
    res.json(report);
  });

  router.get('/bisects', async (req, res) => {
    const runId = typeof req.query.runId === 'string' ? req.query.runId : undefined;
    res.json({ bisects: await ctx.store.listBisects({ ...(runId ? { runId } : {}), limit: 200 }) });
  });

  router.get('/bisects/:id', async (req, res) => {
    const bisect = await ctx.store.loadBisect(param(req, 'id'));
    if (!bisect) throw new HttpError(404, `no bisection ${param(req, 'id')}`);
    res.json(bisect);
  });

  router.get('/schedules', async (_req, res) => {
    res.json({ schedules: (await ctx.store.listSchedules()).map(({ spec, addedAt }) => ({ ...spec, addedAt: new Date(addedAt).toISOString() })) });
  });

  router.get('/schedules/:name/runs', async (req, res) => {
    const name = param(req, 'name');
    if (!(await ctx.store.listSchedules()).some((s) => s.spec.name === name)) throw new HttpError(404, `no schedule named ${name}`);
    res.json({ runs: await ctx.store.scheduleRuns({ schedule: name }) });
  });

  router.get('/holds', async (_req, res) => {
    res.json({ holds: await ctx.store.listHolds(), log: await ctx.store.holdEvents() });
  });

  router.post('/holds', requireApiRole('release-manager'), async (req, res) => {
    const body = parse(holdBody, req.body);
    await ctx.store.addHold({ pattern: body.package, reason: body.reason, by: res.locals.apiUser!.name, at: ctx.now() });
    res.status(201).json({ holds: await ctx.store.listHolds() });
  });

  router.post('/holds/:package/lift', requireApiRole('release-manager'), async (req, res) => {
    const body = parse(liftBody, req.body);
    const name = param(req, 'package');
    if (!(await ctx.store.liftHold(name, res.locals.apiUser!.name, body.reason, ctx.now()))) throw new HttpError(404, `${name} is not held`);
    res.json({ holds: await ctx.store.listHolds() });
  });

  router.get('/hosts', (_req, res) => {
    res.json({ hosts: ctx.hostScans?.latest() ?? [] });
  });

  router.use((req, _res, next) => next(new HttpError(404, `nothing at /api/v1${req.path}`)));
  router.use(jsonErrors(ctx));
  return router;
}

/** A JSON body checked against its schema; a 400 names each field that is wrong. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

function jsonErrors(ctx: WebContext): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const [status, message] = describeError(error);
    if (status >= 500) ctx.log(`patchlab serve: ${req.method} ${req.originalUrl}: ${(error as Error)?.stack ?? String(error)}`);
    if (res.headersSent) return res.end();
    res.status(status).set('Cache-Control', 'no-store').json({ error: message });
  };
}
