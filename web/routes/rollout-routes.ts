import { Router, type Response } from 'express';
import { z } from 'zod';
import { giveCommand } from '../../rollout/drive/control.ts';
import { storedPolicyChoice } from '../../rollout/drive/policy-choice.ts';
import { isCommandName, isRingCommand, needsAdmin } from '../../rollout/engine/command-names.ts';
import { availableActions, type CommandRequest } from '../../rollout/engine/commands.ts';
import { isSettled, isTerminal } from '../../rollout/engine/phase.ts';
import { RolloutError } from '../../rollout/engine/state.ts';
import { type RolloutSummary, type StoredRollout } from '../../rollout/store/rollout-store.ts';
import { mustView, requireRole } from '../auth/middleware.ts';
import { canAct, canAdminister, ROLE_LABELS } from '../auth/roles.ts';
import type { WebContext } from '../context.ts';
import { describeError } from '../error-status.ts';
import { auditRoutes } from './audit-routes.ts';
import { html } from '../html.ts';
import { HttpError, isHtmx, param, sendHtml } from '../http.ts';
import { HealthSampleCache } from '../model/health-sample-cache.ts';
import { ObservationCache } from '../model/observation-cache.ts';
import { LabRunPatches } from '../model/lab-run-patches.ts';
import { readMeta, type Provenance } from '../model/provenance.ts';
import { rollbackReach } from '../model/rollback-reach.ts';
import { RolloutViews } from '../model/rollout-views.ts';
import { StoredRollouts } from '../model/stored-rollouts.ts';
import { COMMAND_LABELS } from '../views/command-labels.ts';
import { errorFlash } from '../views/error-page.ts';
import type { Viewer } from '../views/layout.ts';
import { MAX_REASON_LENGTH, type RollbackQuestion } from '../views/rollout-actions.ts';
import { liveParts, rolloutLive, rolloutPage, type RolloutPageData } from '../views/rollout-page.ts';
import { liveChanges, livePoller, parseSeen } from '../views/live-changes.ts';
import { rolloutsPage, rolloutsTable } from '../views/rollouts-page.ts';
import { olderEntriesUpdate, timelineUpdate } from '../views/timeline.ts';
import { timelinePage } from '../views/timeline-page.ts';

const RING = /^[a-z][a-z0-9-]{0,31}$/;
/** A rollout whose meta names no lab run is compared with this many of its image's latest runs. */
const RUNS_COMPARED = 20;

/** A command as the form sends it: the button's value names it (with its ring), the field gives the reason. */
const commandForm = z.object({
  action: z
    .string({ error: 'choose what to do with one of the buttons' })
    .transform((value, ctx) => {
      const [name = '', ring, ...rest] = value.split(':');
      if (isCommandName(name) && !isRingCommand(name) && ring === undefined) return { name };
      if (isRingCommand(name) && ring !== undefined && RING.test(ring) && rest.length === 0) return { name, ring };
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value.slice(0, 40))} is not a command; expected pause, resume, rollback, override-age, promote:<ring> or approve:<ring>` });
      return z.NEVER;
    }),
  reason: z
    .string({ error: 'give a reason: it goes into the audit log' })
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'give a reason: it goes into the audit log').max(MAX_REASON_LENGTH, `keep the reason under ${MAX_REASON_LENGTH} characters`)),
  /** A rollback's second step: the number of hosts the confirmation named. */
  confirm: z
    .string()
    .regex(/^\d{1,9}$/, 'confirm: expected the number of hosts the confirmation named')
    .transform(Number)
    .optional(),
});

/** A sequence number in the query: a whole number, named in the error when it is not. */
const sequenceNumber = (name: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${name}: expected a whole number (an entry's sequence number)`)
    .transform(Number)
    .optional();
const timelineQuery = {
  parse(query: unknown): { after?: number; before?: number } {
    const parsed = z.object({ after: sequenceNumber('after'), before: sequenceNumber('before') }).safeParse(query);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => i.message).join('; '));
    if (parsed.data.after !== undefined && parsed.data.before !== undefined) throw new HttpError(400, 'give either after (new entries) or before (older entries), not both');
    return parsed.data;
  },
};

export function rolloutRoutes(ctx: WebContext): Router {
  const router = Router();
  // Every poll of an open rollout page reads only the check results stored since the last one,
  // parses the rollout only when its version moved, and works its view out once a second at most.
  const observations = new ObservationCache(ctx.store);
  const healthSamples = new HealthSampleCache(ctx.store);
  const rollouts = new StoredRollouts(ctx.store);
  const views = new RolloutViews();
  const labRuns = new LabRunPatches(ctx.store);

  // Who drives what: the leases in the store, whichever machine their drivers run on.
  const undrivenOf = async (rollouts: readonly RolloutSummary[]) => {
    const driven = new Set((await ctx.store.liveLeases(ctx.now())).map((lease) => lease.rolloutId));
    return new Set(rollouts.filter((r) => !isTerminal(r.phase) && !driven.has(r.id)).map((r) => r.id));
  };

  const loadRecord = async (id: string) => {
    const record = await rollouts.load(id);
    if (!record) throw new HttpError(404, `no rollout ${id}`);
    return record;
  };
  const load = async (id: string, reason?: string, loaded?: StoredRollout): Promise<RolloutPageData> => {
    const record = loaded ?? (await loadRecord(id));
    const [index, samples, leases, engines] = await Promise.all([observations.index(id), healthSamples.samples(id), ctx.store.liveLeases(ctx.now()), ctx.workerWaits(id, ctx.now())]);
    const driver = leases.find((lease) => lease.rolloutId === id);
    const choice = storedPolicyChoice(record.meta);
    const { view, now } = views.of(record, index, ctx.now());
    return {
      view,
      scenario: record.scenario,
      ...(choice ? { policyChoice: choice } : {}),
      ...(driver ? { driver } : {}),
      ...(engines.length > 0 ? { engines } : {}),
      samples,
      now,
      pollMs: ctx.pollMs,
      approvers: ctx.users.listUsers().filter((u) => canAct(u.role)).map((u) => u.name),
      ...(reason !== undefined ? { reason } : {}),
    };
  };

  /** The rollout's patch and its proof, for the full page: the lab runs are compared once per page, not per poll. */
  const provenanceOf = async (record: StoredRollout): Promise<Provenance> => {
    const known = readMeta(record.meta);
    if (known.labRunId !== null || known.image === null || known.packages === null) {
      const advisories = known.packages === null ? null : await ctx.advisories.of(known.packages, known.labRunId);
      return { ...known, matchingRuns: [], runsCompared: 0, advisories };
    }
    const { matching, compared } = await labRuns.provingRuns(known.image.name, known.packages, RUNS_COMPARED);
    const advisories = await ctx.advisories.of(known.packages, matching[0]?.runId ?? null);
    return { ...known, matchingRuns: matching, runsCompared: compared, advisories };
  };
  // One read of the rollout serves the page and its provenance: the page is the costliest request.
  const page = async (id: string, extra: Partial<RolloutPageData> = {}) => {
    const record = await loadRecord(id);
    return { ...(await load(id, undefined, record)), provenance: await provenanceOf(record), ...extra };
  };

  // The audit log is every rollout's log in one list: it lives with the rollouts' routes.
  router.use(auditRoutes(ctx));

  router.get('/rollouts', async (_req, res) => {
    const rollouts = await ctx.store.listRollouts();
    sendHtml(res, 200, rolloutsPage(rollouts, ctx.now(), ctx.pollMs, mustView(res), await undrivenOf(rollouts)));
  });

  router.get('/rollouts/table', async (_req, res) => {
    const rollouts = await ctx.store.listRollouts();
    sendHtml(res, 200, rolloutsTable(rollouts, ctx.now(), ctx.pollMs, await undrivenOf(rollouts)));
  });

  router.get('/rollouts/:id', async (req, res) => {
    sendHtml(res, 200, rolloutPage(await page(req.params.id), mustView(res)));
  });

  // With ?seen= (the page's poller), only the parts that changed since; without, the whole live section.
  router.get('/rollouts/:id/live', async (req, res) => {
    const viewer = mustView(res);
    if (req.query.seen === undefined) return sendHtml(res, 200, rolloutLive(await load(req.params.id), viewer));
    const seen = parseSeen(req.query.seen);
    if (seen instanceof Error) throw new HttpError(400, seen.message);
    const data = await load(req.params.id);
    const changes = liveChanges(liveParts(data, viewer), seen, (versions) => livePoller(data.view.state.id, data.pollMs, data.view.finished, versions));
    if (!changes) return void res.status(204).set('Cache-Control', 'no-store').end();
    sendHtml(res, 200, changes);
  });

  /*
   * ?after=N: the entries written since the page showed N (the poll); ?before=N: the page of
   * entries before sequence number N ("older entries"), as a fragment for htmx or a page of its own.
   */
  router.get('/rollouts/:id/timeline', async (req, res) => {
    const { after, before } = timelineQuery.parse(req.query);
    const record = await loadRecord(req.params.id);
    const { state } = record;
    if (before === undefined) return sendHtml(res, 200, timelineUpdate(state, after ?? 0, ctx.pollMs, !isSettled(state)));
    if (before < 1 || before > state.audit.length) throw new HttpError(400, `before: expected a sequence number from 1 to ${state.audit.length} (the entries of rollout ${state.id})`);
    sendHtml(res, 200, isHtmx(req) ? olderEntriesUpdate(state, before) : timelinePage(state, before, mustView(res)));
  });

  router.post('/rollouts/:id/actions', requireRole('release-manager'), async (req, res) => {
    const viewer = mustView(res);
    const id = param(req, 'id');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typedReason = typeof body.reason === 'string' ? body.reason.slice(0, MAX_REASON_LENGTH) : '';
    const parsed = commandForm.safeParse(body);
    if (!parsed.success) return refuse(res, 400, parsed.error.issues.map((i) => i.message).join('; '), id, typedReason, viewer);
    const { action, reason, confirm } = parsed.data;
    if (needsAdmin(action.name) && !canAdminister(viewer.role)) return refuse(res, 403, `${COMMAND_LABELS[action.name].button} needs the admin role; ${viewer.name} is a ${ROLE_LABELS[viewer.role]}`, id, typedReason, viewer);
    if (action.name === 'rollback') {
      const question = await rollbackQuestion(id, reason, confirm);
      if (question) return ask(res, id, question, viewer);
    }
    const request: CommandRequest = { ...action, actor: viewer.name, reason };
    try {
      await giveCommand(ctx.store, id, request, ctx.now);
    } catch (error) {
      // A command the state refuses keeps the page and the reason typed; anything else is an error page.
      if (error instanceof RolloutError) return refuse(res, describeError(error)[0], error.message, id, typedReason, viewer);
      throw error;
    }
    if (!isHtmx(req)) return res.redirect(303, `/rollouts/${encodeURIComponent(id)}`);
    const done = `${COMMAND_LABELS[request.name].done}${'ring' in request ? ` ${request.ring}` : ''} by ${viewer.name}: ${reason}`;
    res.set('HX-Trigger', 'rollout-changed');
    sendHtml(res, 200, html`${rolloutLive(await load(id), viewer)}<hx-partial hx-target="#flash" hx-swap="innerHTML"><p class="flash info" role="status">${done}</p></hx-partial>`);
  });

  /**
   * A rollback is asked about first, naming the hosts it touches, and given only when the
   * confirmation names as many as it would touch now. Null when it is confirmed, or when the
   * state would refuse or ignore it anyway (the command says why).
   */
  async function rollbackQuestion(id: string, reason: string, confirmed: number | undefined): Promise<RollbackQuestion | null> {
    const record = await ctx.store.loadRollout(id);
    if (!record || !availableActions(record.state).rollback) return null;
    const reach = rollbackReach(record.state);
    if (confirmed === reach.hosts) return null;
    return { reach, reason, confirmedHosts: confirmed ?? null };
  }

  /** The question, in the live part for htmx, or as the whole page for a plain form post. */
  async function ask(res: Response, id: string, question: RollbackQuestion, viewer: Viewer): Promise<void> {
    if (isHtmx(res.req)) return sendHtml(res, 200, rolloutLive({ ...(await load(id, question.reason)), rollback: question }, viewer));
    sendHtml(res, 200, rolloutPage(await page(id, { reason: question.reason, rollback: question }), viewer));
  }

  /** A refused command: the page keeps the reason typed and says why, or an error page without htmx. */
  async function refuse(res: Response, status: number, message: string, id: string, reason: string, viewer: Viewer): Promise<void> {
    if (!isHtmx(res.req)) throw new HttpError(status, message);
    const data = await load(id, reason);
    sendHtml(res, status, html`${rolloutLive(data, viewer)}<hx-partial hx-target="#flash" hx-swap="innerHTML">${errorFlash(message)}</hx-partial>`);
  }

  return router;
}
