import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import type { RolloutPlan } from '../../rollout/drive/rollout-plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';

/*
 * A failure as a release manager reads it, from real evidence: a two-host rollout on real
 * containers whose canary gets a package that breaks nginx's configuration, rolled back by the
 * engine as `patchlab rollout start` would run it. The page must say what each failing check
 * expected, what it got and what it printed, and its ring card must agree with the timeline.
 */

// The shared package cache, made before PATCHLAB_HOME moves, so nothing is downloaded again.
const cache = new PackageCache();
const GOSS = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const ring = { concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 60_000, requiresApproval: false, healthGate: { latency: false } } as const;

const plan: RolloutPlan = {
  file: 'test/e2e/failure-evidence (bad nginx config in canary)',
  name: 'failure-evidence',
  image: 'web',
  patch: parsePatchArgs(['tzdata']),
  severity: 'high',
  checks: [GOSS],
  fleet: { hosts: 2, groups: [], seed: 1 },
  rings: [
    { name: 'canary', hosts: { count: 1 }, ...ring },
    { name: 'broad', hosts: 'rest', ...ring },
  ],
  policy: { ...STANDARD_POLICY, checkTimeoutMs: 30_000 },
  checkIntervalMs: 1_000,
  faults: [{ kind: 'bad-package', hosts: { ring: 'canary' }, effect: 'break-service' }],
};

let lab: WebLab;
let final: RolloutState;

beforeAll(async () => {
  lab = await startWebLab();
  process.env.PATCHLAB_HOME = lab.home;
  final = await runRollout(plan, { store: lab.store, cache });
}, 300_000);

afterAll(async () => {
  await lab?.close();
  if (final) expect(await new Docker().listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${final.id}`] } })).toEqual([]);
});

describe('a rolled-back canary on the rollout page', () => {
  it("shows what each failing check expected and got, and what nginx -t said; the card agrees with the timeline", async () => {
    expect(final.phase).toBe('rolled-back');
    const canaryHost = final.rings[0]!.hostIds[0]!;
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${final.id}`);

    const tile = page.locator(`[id="host-${canaryHost}"]`);
    // The run the failure's reason names (its newest failing run, when that failed otherwise, follows in .evidence-newest).
    const named = tile.locator('.evidence > .failed-checks');
    const nginx = named.locator('.failed-check[data-check="command:nginx -t"]');
    expect(await nginx.locator('.expectations div').first().textContent()).toMatch(/^exit-statusexpected 0, got 1\b/);
    expect(await nginx.locator('.excerpt').textContent()).toContain('unknown directive "worker_tuning_level"');
    const healthz = named.locator('.failed-check[data-check="http:http://localhost/healthz"]');
    expect(await healthz.textContent()).toMatch(/fail|error/);
    // Each check is named once, in the evidence; the lines above it count them.
    expect(await tile.locator('.check').textContent()).toMatch(/^✗ \d of 7 checks fail · /);
    expect(await tile.locator('.failure').textContent()).toMatch(/^failed \d checks, and again on re-check$/);
    expect(await named.locator('.failed-check').count()).toBe(Number(/\d/.exec((await tile.locator('.failure').textContent()) ?? '')?.[0]));

    const card = page.locator('#ring-canary');
    expect(await card.locator('.host-counts').textContent()).toBe('1 rolled back of 1');
    expect(await card.locator('.budget').textContent()).toBe('1 / 0 — over budget');
    const rollback = final.audit.find((e) => e.action === 'rollback')!;
    expect([rollback.figures['canary.failed'], rollback.figures['canary.budget']]).toEqual([1, 0]);

    // The packages the rollout installed, from its stored meta; no lab run proved them.
    expect(await page.locator('#provenance tr[data-package="tzdata"]').count()).toBe(1);
    expect(await page.locator('#lab-proof').textContent()).toContain('names no lab run');
    await shot(page, 'rollout-failure-evidence');
    expect(errors).toEqual([]);
    await context.close();
  });
});
