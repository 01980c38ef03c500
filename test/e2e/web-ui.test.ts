import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { reap } from '../../lab/hosts/reaper.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { checkFilesFor, loadCheckSuite } from '../../lab/run/check-suite.ts';
import { runLab } from '../../lab/run/lab-run.ts';
import type { LabReport } from '../../lab/run/report.ts';
import { ContainerFleet } from '../../rollout/fleets/containers/container-fleet.ts';
import { preparePatch } from '../../rollout/fleets/containers/prepare.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';
import { healthSamplesOf } from '../../rollout/engine/health-samples.ts';
import type { Observation } from '../../rollout/engine/observations.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { driveRollout } from '../../rollout/drive/runner.ts';
import { createRollout, type RolloutState } from '../../rollout/engine/state.ts';
import { runnerStore } from '../../rollout/store/runner-store.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { dockerDiscover } from '../../lab/patches/discover.ts';
import { PatchDiscovery } from '../../web/services/patch-discovery.ts';

/*
 * The web UI end to end: real rollouts on real containers (3 and 2 web hosts patching tzdata),
 * a real lab run, real patch discovery, the real SQLite stores in a temporary PATCHLAB_HOME, and
 * Debian's Chromium driving the pages as a release manager and as a viewer would.
 */

// The shared package cache, made before PATCHLAB_HOME moves, so nothing is downloaded again.
const cache = new PackageCache();
const home = mkdtempSync(join(tmpdir(), 'patchlab-e2e-home-'));
process.env.PATCHLAB_HOME = home;

const SHOTS = join(import.meta.dirname, 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = { alice: 'alice releases carefully', victor: 'victor only watches', root: 'root administers users' };
const GOSS = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const MINUTE = 60_000;
const POLICY = { ...STANDARD_POLICY, checkTimeoutMs: MINUTE };
const runId = `e2e${process.pid}`;
const ids = { promote: `rollout-${runId}-promote`, rollback: `rollout-${runId}-rollback`, lab: `lab-${runId}` };

/** Canary soaks an hour, so only a release manager moves it on; pilot waits for approval. */
const PROMOTE_RINGS: RingSpec[] = [
  { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 60 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
  { name: 'pilot', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: true, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
];
const ROLLBACK_RINGS: RingSpec[] = [PROMOTE_RINGS[0]!, { ...PROMOTE_RINGS[2]! }];

const docker = new Docker();
let store: Store;
let users: UserStore;
let server: RunningServer;
let browser: Browser;
let image: ResolvedImage;
let prepared: PreparedPatch;
const abort = new AbortController();
const drivers = new Map<string, Promise<RolloutState>>();
const fleets = new Map<string, ContainerFleet>();
let labRun: Promise<LabReport>;
const timings: Record<string, number> = {};
const started = performance.now();
const mark = (what: string) => {
  timings[what] = Math.round(performance.now() - started);
};

/** The fleet and the stored rollout; driving starts separately, so a page can watch from the first step. */
async function provision(id: string, size: number, rings: RingSpec[]): Promise<ContainerFleet> {
  const fleet = await ContainerFleet.provision({
    rolloutId: id,
    image,
    prepared,
    cache,
    checks: await loadCheckSuite([GOSS], { screenshotDir: join(home, 'fleet-shots') }),
    faults: new Map(),
    size,
    namePrefix: 'web',
  });
  fleets.set(id, fleet);
  const state = createRollout({ id, patch: { name: prepared.name, version: prepared.version, severity: 'high' }, hosts: fleet.hosts(), rings, now: Date.now() });
  await store.createRollout({ state, scenario: `test/e2e: ${id}`, policy: POLICY });
  return fleet;
}

/** Drives the rollout as runScenario does: check results and health samples stored before the engine judges by them. */
function drive(id: string, fleet: ContainerFleet): void {
  const seen: Observation[] = [];
  const done = driveRollout(id, {
    store: runnerStore(store),
    fleet,
    policy: POLICY,
    checkIntervalMs: 1_000,
    signal: abort.signal,
    onError: (message) => process.stderr.write(`[e2e ${id}] ${message}\n`),
    onObservations: async (batch, state) => {
      // Every host was busy patching: no check ran, nothing to sample.
      if (batch.length === 0) return;
      await store.recordObservations(id, batch);
      seen.push(...batch);
      const at = Math.max(...batch.map((o) => o.at));
      for (const sample of healthSamplesOf(state, seen, at, POLICY)) await store.recordHealthSample(id, sample);
    },
  });
  done.catch(() => undefined);
  drivers.set(id, done);
}

async function newPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

async function loggedIn(name: keyof typeof PASSWORD, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(15_000);
  const { page, errors } = await newPage(context);
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', PASSWORD[name]);
  await Promise.all([page.waitForURL(`${server.url}/rollouts`), page.click('button[type=submit]')]);
  return { context, page, errors };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function stateOf(id: string): Promise<RolloutState> {
  const record = await store.loadRollout(id);
  if (!record) throw new Error(`no rollout ${id}`);
  return record.state;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, '.gitignore'), '*\n!.gitignore\n');
  store = openStore(join(home, 'patchlab.db'));
  users = UserStore.open(join(home, 'users.db'));
  await users.addUser('alice', 'release-manager', PASSWORD.alice);
  await users.addUser('victor', 'viewer', PASSWORD.victor);
  await users.addUser('root', 'admin', PASSWORD.root);
  const discovery = new PatchDiscovery(dockerDiscover(cache), () => ['web']);
  server = await listen(createApp({ store, users, discovery, pollMs: 1_000 }), { host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

  image = await resolveImage('web');
  labRun = (async () => {
    const reportDir = join(home, 'runs', ids.lab);
    const report = await runLab({
      runId: ids.lab,
      image: { name: 'web', tag: image.tag, ...(image.definition ? { definition: image.definition } : {}) },
      request: parsePatchArgs(['tzdata']),
      requestText: ['tzdata'],
      checks: await loadCheckSuite(checkFilesFor(image.definition), { screenshotDir: join(reportDir, 'screenshots'), port: 80 }),
      provider: new DockerHostProvider(),
      cache,
      mirror: debianMirror('bookworm'),
      refreshLists: 'if-stale',
      reportDir,
    });
    await store.saveLabRun(report);
    mark('lab run stored');
    return report;
  })();
  labRun.catch(() => undefined);

  prepared = await preparePatch({
    runId,
    image: { name: 'web', tag: image.tag },
    request: parsePatchArgs(['tzdata']),
    provider: new DockerHostProvider(),
    cache,
    mirror: debianMirror('bookworm'),
    faults: {},
  });
  mark('patch prepared');
  const [, rollbackFleet] = await Promise.all([provision(ids.promote, 3, PROMOTE_RINGS), provision(ids.rollback, 2, ROLLBACK_RINGS)]);
  mark('fleets up');
  // The rollout to roll back runs from now on; the other starts under a watching page.
  drive(ids.rollback, rollbackFleet);

  // A hostile scenario name and patch name, stored as any rollout would be.
  const hostile = createRollout({
    id: `rollout-${runId}-xss`,
    patch: { name: '<img src=x onerror="window.__xss=2">', version: '1<2', severity: 'low' },
    hosts: [{ id: 'h-1', labels: {}, version: '0' }],
    rings: [PROMOTE_RINGS[2]!],
    now: Date.now() - 10_000,
  });
  await store.createRollout({ state: hostile, scenario: 'scenarios/<script>window.__xss=1</script>.yaml', policy: POLICY });
}, 300_000);

afterAll(async () => {
  abort.abort();
  await Promise.allSettled([...drivers.values()]);
  await Promise.allSettled([...fleets.values()].map((f) => f.close()));
  await labRun?.catch(() => undefined);
  await browser?.close();
  await server?.close();
  for (const id of [runId, ids.promote, ids.rollback, ids.lab]) await reap({ runId: id });
  await store?.close();
  users?.close();
  process.stderr.write(`e2e: screenshots in ${SHOTS}\ne2e: milestones (ms since start) ${JSON.stringify(timings)}\n`);
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  rmSync(home, { recursive: true, force: true });
  expect(left.filter((c) => Object.values(ids).concat(runId).some((id) => c.Labels[RUN_LABEL] === id))).toEqual([]);
}, 120_000);

describe('the web UI in Chromium', () => {
  it('sends an anonymous visitor to the login page, then back to the page asked for', async () => {
    const context = await browser.newContext();
    const { page, errors } = await newPage(context);
    await page.goto(`${server.url}/rollouts/${ids.promote}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot(page, 'login');
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'not her password');
    await page.click('button[type=submit]');
    await page.getByText('Wrong user name or password.').waitFor();
    await page.fill('input[name=password]', PASSWORD.alice);
    await Promise.all([page.waitForURL(`${server.url}/rollouts/${ids.promote}`), page.click('button[type=submit]')]);
    // The session cookie is HttpOnly: no script on the page can read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookie = (await context.cookies()).find((c) => c.name === 'patchlab_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Chromium logs the wrong password's 401 answer; that is the only complaint.
    expect(errors).toEqual(['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await context.close();
  });

  it('shows a running rollout change state as it happens, without reloading the page', async () => {
    const { context, page, errors } = await loggedIn('alice');
    await page.goto(`${server.url}/rollouts`);
    await page.locator(`a[href="/rollouts/${ids.promote}"]`).waitFor();
    await shot(page, 'rollouts');
    await page.goto(`${server.url}/rollouts/${ids.promote}`);
    const canary = (await stateOf(ids.promote)).rings[0]!.hostIds[0]!;
    const tile = page.locator(`[id="host-${canary}"]`);
    expect(await tile.getAttribute('data-phase')).toBe('pending');
    // A new document fires DOMContentLoaded; htmx's own history.replaceState on start-up does not.
    let loads = 0;
    page.on('domcontentloaded', () => loads++);
    // Every phase the tile shows, as the page morphs it in place.
    await page.evaluate((id) => {
      const w = window as unknown as { seen: string[]; marker: number; tile: HTMLElement | null };
      w.marker = 42;
      w.tile = document.getElementById(id);
      w.seen = [document.getElementById(id)!.dataset.phase!];
      new MutationObserver(() => {
        const phase = document.getElementById(id)?.dataset.phase;
        if (phase && w.seen.at(-1) !== phase) w.seen.push(phase);
      }).observe(document.getElementById('live')!, { subtree: true, attributes: true, childList: true });
    }, `host-${canary}`);

    drive(ids.promote, fleets.get(ids.promote)!);
    mark('promote rollout driving');
    await page.locator('#ring-canary[data-status="soaking"]').waitFor({ timeout: 120_000 });
    mark('canary soaking on the page');
    expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['pending', 'patching', 'healthy']);
    // The soak starts when the patch lands; the first check result follows within a round.
    await tile.locator('.check.pass').waitFor();
    expect(await tile.locator('.check').textContent()).toMatch(/✓ \d+ checks? pass/);
    expect(await page.locator('#ring-canary .soak').textContent()).toMatch(/left of 1 h/);
    // The same document all along: no reload.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    expect(loads).toBe(0);
    // Morphed in place, never replaced: the tile is the very element the page started with, so nothing flickers.
    expect(await page.evaluate((id) => document.getElementById(id) === (window as unknown as { tile: HTMLElement }).tile, `host-${canary}`)).toBe(true);
    await page.locator('#timeline [data-action="patch-hosts"]').first().waitFor();
    await shot(page, 'rollout-running');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('promotes a ring and approves the next from the page, each with a reason, to completion', async () => {
    const { context, page, errors } = await loggedIn('alice');
    await page.goto(`${server.url}/rollouts/${ids.promote}`);
    await page.fill('#reason', 'canary healthy on tzdata; promoting early for the e2e test');
    await page.click('button[value="promote:pilot"]');
    await page.locator('#flash').getByText('Promoted pilot by alice: canary healthy on tzdata; promoting early for the e2e test').waitFor();
    const promoted = page.locator('#timeline [data-action="promote"].by-person');
    await promoted.waitFor();
    expect(await promoted.textContent()).toContain('canary healthy on tzdata; promoting early for the e2e test');
    await page.locator('#rollout-phase[data-phase="awaiting-approval"]').waitFor({ timeout: 30_000 });
    await shot(page, 'rollout-awaiting-approval');

    await page.fill('#reason', 'change CHG-1234 approved by the CAB');
    await page.click('button[value="approve:pilot"]');
    await page.locator('#timeline [data-action="approve"]').waitFor();
    await page.locator('#rollout-phase[data-phase="completed"]').waitFor({ timeout: 150_000 });
    mark('promote rollout completed on the page');
    expect(await page.locator('#rollout-progress').textContent()).toBe('3 of 3');
    const audit = (await stateOf(ids.promote)).audit.filter((e) => e.actor === 'alice');
    expect(audit.map((e) => [e.action, e.reasons])).toEqual([
      ['promote', ['canary healthy on tzdata; promoting early for the e2e test']],
      ['approve', ['change CHG-1234 approved by the CAB']],
    ]);
    // A flat line at 100 % has no height, which Playwright calls hidden: attached is what counts.
    await page.locator('.chart svg path.line').first().waitFor({ state: 'attached' });
    await shot(page, 'rollout-completed');
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it('rolls a rollout back with a reason, shown in the timeline as it was typed', async () => {
    const { context, page, errors } = await loggedIn('alice');
    await page.goto(`${server.url}/rollouts/${ids.rollback}`);
    await page.locator('#ring-canary[data-status="soaking"]').waitFor({ timeout: 120_000 });
    const reason = 'tzdata breaks <b>cron</b> on our hosts <script>window.__xss=3</script>';
    await page.fill('#reason', reason);
    await page.click('button[value="rollback"]');
    // A rollback asks first, naming the hosts it touches.
    await page.locator('#rollback-confirm').getByText('Roll back 1 host now?').waitFor();
    await page.click('#confirm-rollback');
    const entry = page.locator('#timeline [data-action="rollback"].by-person');
    await entry.waitFor();
    expect(await entry.locator('.reasons').textContent()).toBe(reason);
    expect(await entry.locator('.actor').textContent()).toBe('by alice');
    await page.locator('#rollout-phase[data-phase="rolled-back"]').waitFor({ timeout: 120_000 });
    await page.locator('#timeline [data-action="rolled-back"]').waitFor();
    mark('rollback rollout rolled back on the page');
    const state = await stateOf(ids.rollback);
    expect(state.hosts.every((h) => h.version === h.baseVersion)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await shot(page, 'rollout-rolled-back');
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it("refuses a viewer's POST and a POST without the CSRF token", async () => {
    const viewer = await loggedIn('victor');
    await viewer.page.goto(`${server.url}/rollouts/${ids.promote}`);
    expect(await viewer.page.locator('#actions form').count()).toBe(0);
    expect(await viewer.page.locator('#actions').textContent()).toContain('needs the release manager role');
    const token = await viewer.page.locator('input[name=_csrf]').first().inputValue();
    const before = await store.loadRollout(ids.rollback);
    const refused = await viewer.context.request.post(`${server.url}/rollouts/${ids.rollback}/actions`, { form: { _csrf: token, action: 'resume', reason: 'a viewer tries' }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('needs the release manager role');

    const manager = await loggedIn('alice');
    const noToken = await manager.context.request.post(`${server.url}/rollouts/${ids.promote}/actions`, { form: { action: 'rollback', reason: 'no token' }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect((await store.loadRollout(ids.rollback))?.seq).toBe(before?.seq);
    expect((await stateOf(ids.promote)).phase).toBe('completed');
    expect([...viewer.errors, ...manager.errors]).toEqual([]);
    await viewer.context.close();
    await manager.context.close();
  });

  it('shows a script in a scenario name as text and never runs it', async () => {
    const { context, page, errors } = await loggedIn('victor');
    await page.goto(`${server.url}/rollouts`);
    const row = page.locator(`[id="rollout-rollout-${runId}-xss"]`);
    expect(await row.locator('.scenario').textContent()).toBe('scenarios/<script>window.__xss=1</script>.yaml');
    await row.locator('a').click();
    await page.waitForURL(`${server.url}/rollouts/rollout-${runId}-xss`);
    expect(await page.locator('.meta .scenario').textContent()).toBe('scenarios/<script>window.__xss=1</script>.yaml');
    expect(await page.locator('.patch b').textContent()).toBe('<img src=x onerror="window.__xss=2">');
    // htmx's own script tag is the only one; no img element came from the patch name.
    expect(await page.evaluate(() => [document.scripts.length, document.querySelectorAll('main img').length, (window as unknown as { __xss?: number }).__xss ?? null])).toEqual([1, 0, null]);
    await shot(page, 'rollout-hostile-names');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a lab run with its check results, logs and Playwright screenshots', async () => {
    const report = await labRun;
    expect(report.verdict).toBe('pass');
    const { context, page, errors } = await loggedIn('victor');
    await page.goto(`${server.url}/lab-runs`);
    await page.click(`a[href="/lab-runs/${ids.lab}"]`);
    await page.locator('#verdict').getByText('pass').waitFor();
    expect(await page.locator('.checks-table tbody tr').count()).toBe(report.checks.length);
    expect(await page.locator('.checks-table tbody .badge').allTextContents()).toEqual(report.checks.map((c) => c.comparison.replace(/-/g, ' ')));
    const image = page.locator('.shots img').first();
    await image.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.shots img');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await page.locator('details.log summary').first().click();
    expect(await page.locator('details.log pre').first().textContent()).toMatch(/tzdata/);
    await shot(page, 'lab-run');
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it('discovers candidate patches of an image on request, with their severity', async () => {
    const { context, page, errors } = await loggedIn('alice');
    await page.goto(`${server.url}/patches`);
    await page.locator('#image-web[data-status="never"]').waitFor();
    await page.locator('#image-web button').click();
    await page.locator('#image-web[data-status="ready"]').waitFor({ timeout: 120_000 });
    const tzdata = page.locator('#image-web tr[data-package="tzdata"]');
    expect(await tzdata.locator('.badge').first().textContent()).toMatch(/^(high|medium)$/);
    // Read from the real tzdata .deb's changelog while discovering: its source's row says where the severity came from.
    expect(await tzdata.locator('td.advisory').textContent()).toMatch(/^(critical|high|medium|low|unknown) \d+ CVE$/);
    expect(await page.locator('#advisories-web tr[data-source="tzdata"] .basis').textContent()).toMatch(/^from the package changelog: /);
    await shot(page, 'patches');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('fits a phone screen: nothing wider than the screen, every action reachable', async () => {
    const { context, page, errors } = await loggedIn('alice', { width: 390, height: 844 });
    await page.goto(`${server.url}/rollouts/${ids.promote}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.goto(`${server.url}/rollouts/${ids.rollback}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'rollout-phone');
    await page.goto(`${server.url}/rollouts`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'rollouts-phone');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('patchlab serve and patchlab users', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');
  const run = (args: string[], env: NodeJS.ProcessEnv, input?: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bin, args, { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });

  it('creates the first admin from the command line and serves the login page', async () => {
    const cliHome = mkdtempSync(join(tmpdir(), 'patchlab-e2e-cli-'));
    const env = { ...process.env, PATCHLAB_HOME: cliHome };
    try {
      expect(await run(['users', 'add', 'first', '--role', 'admin', '--password-stdin'], env, 'short\n')).toMatchObject({ code: 2, stderr: expect.stringContaining('at least 10 characters') });
      expect(await run(['users', 'add', 'first', '--role', 'admin', '--password-stdin'], env, 'the first admin password\n')).toMatchObject({ code: 0, stdout: 'added first as admin\n' });
      expect((await run(['users', 'list'], env)).stdout).toMatch(/^first\s+admin\s+since /);
      const bad = await run(['serve', '--port', '0', '--scenario', join(cliHome, 'missing.yaml')], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('missing.yaml');

      const child = spawn(bin, ['serve', '--port', '0'], { env });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
            const found = /patchlab serve: (http:\/\/\S+)/.exec(out);
            if (found) resolve(found[1]!);
          });
          child.on('close', (code) => reject(new Error(`serve exited ${code}`)));
        });
        const login = await fetch(`${url}/login`);
        expect(login.status).toBe(200);
        expect(await login.text()).toContain('<form method="post" action="/login"');
        const anonymous = await fetch(`${url}/rollouts`, { redirect: 'manual' });
        expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login?next=%2Frollouts']);
      } finally {
        const exited = new Promise((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      rmSync(cliHome, { recursive: true, force: true });
    }
  }, 180_000);
});
