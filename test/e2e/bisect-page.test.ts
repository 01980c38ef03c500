import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bisectRun, type LabBisectReport } from '../../lab/bisect/lab-bisect.ts';
import type { LabReport } from '../../lab/run/report.ts';
import { scheduledBisectOf } from '../../lab/schedule/schedule-bisect.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import { labReport } from './lab-reports.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';

/*
 * A bisection's page in Chromium: one stored while it runs, then as it ends, the way `lab bisect`
 * and a scheduled run store them (the real bisectRun, its lab runs answered by a stand-in: the
 * real bisection is advisories-bisect.test.ts's and schedule-bisect.test.ts's).
 */

let lab: WebLab;
let running: LabBisectReport;
let finished: LabBisectReport;
const dir = mkdtempSync(join(tmpdir(), 'patchlab-e2e-bisect-'));
const BROKEN = 'check http http://localhost/healthz broken by the patch: expected status 200, got 502';

function failing(runId: string, packages: { name: string; from: string; to: string }[], verdict: 'pass' | 'fail'): LabReport {
  const report = labReport(runId, packages);
  return { ...report, verdict, reasons: verdict === 'fail' ? [BROKEN] : report.reasons };
}

beforeAll(async () => {
  lab = await startWebLab({ pollMs: 300 });
  const packages = [
    { name: 'openssl', from: '3.0.13-1~deb12u1', to: '3.0.15-1~deb12u1' },
    { name: 'tzdata', from: '2024a-0+deb12u1', to: '2025b-0+deb12u1' },
    { name: 'zlib1g', from: '1:1.2.13.dfsg-1', to: '1:1.2.13.dfsg-1+deb12u1' },
  ];
  const original = failing('lab-bisected', packages, 'fail');
  await lab.store.saveLabRun(original);
  const snapshots: LabBisectReport[] = [];
  let n = 0;
  await bisectRun({
    bisectId: 'bisect-e2e',
    report: original,
    dir,
    onUpdate: async (s) => void snapshots.push(s),
    runSubset: async (patch) => {
      const picked = packages.filter((p) => patch.includes(`${p.name}=${p.to}`));
      const run = failing(`lab-step-${++n}`, picked, patch.some((w) => w.startsWith('openssl=')) ? 'fail' : 'pass');
      await lab.store.saveLabRun(run);
      return run;
    },
  });
  // The bisection as it stood with one lab run done and the next one running.
  running = snapshots.find((s) => s.steps.length === 2 && s.steps[1]?.outcome === undefined) as LabBisectReport;
  finished = snapshots.at(-1) as LabBisectReport;
  expect(running.status).toBe('running');
  expect(finished.culprits.map((c) => c.items.map((i) => i.label))).toEqual([['openssl']]);
  await lab.store.saveBisect(running);
});

afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the bisection page', () => {
  it('shows each lab run with its subset and verdict as it goes, then the culprit, what it breaks and the run proving the rest', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    // Reached from the lab run that failed.
    await page.goto(`${lab.url}/lab-runs/lab-bisected`);
    await Promise.all([page.waitForURL(`${lab.url}/bisects/bisect-e2e`), page.click('#bisections a')]);
    expect(await page.locator('#bisect-status').textContent()).toBe('running');
    const steps = page.locator('table.bisect-steps tbody tr');
    expect(await steps.count()).toBe(2);
    const [first] = running.steps;
    expect(await steps.nth(0).getAttribute('data-outcome')).toBe(first!.outcome);
    expect(await steps.nth(0).locator('td').nth(3).textContent()).toBe(first!.items.join(', '));
    expect(await steps.nth(0).locator('a').getAttribute('href')).toBe(`/lab-runs/${first!.runId}`);
    expect(await steps.nth(1).getAttribute('data-outcome')).toBe('running');
    expect(await page.locator('#bisect-result').textContent()).toContain('appear here when the bisection ends');
    await shot(page, 'bisect-running');

    // The bisection ends; the open page follows without a reload, and stops asking.
    await lab.store.saveBisect(finished);
    await page.locator('#bisect-status', { hasText: 'finished' }).waitFor();
    expect(await steps.count()).toBe(finished.steps.length);
    expect(await page.locator('#bisect-poller').count()).toBe(0);
    const culprit = page.locator('.culprit[data-culprit="openssl"]');
    expect(await culprit.locator('.breaks li').allTextContents()).toEqual([BROKEN]);
    expect(await page.locator('#rest').textContent()).toContain(`The rest passes in lab run ${finished.rest.runId}`);
    expect(await page.locator('#bisect-result').textContent()).toContain('Proposed hold: apt-mark hold openssl');
    // A viewer sees the proposal, not the button.
    expect(await page.locator('#apply-hold').count()).toBe(0);
    await shot(page, 'bisect-finished');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('lets a release manager apply the proposed hold, recorded with their name and reason', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/bisects/bisect-e2e`);
    await page.fill('#hold-reason', 'INC-9: openssl 3.0.15 breaks /healthz');
    await Promise.all([page.waitForURL(`${lab.url}/bisects/bisect-e2e`), page.click('#apply-hold button[type=submit]')]);
    await page.locator('#hold-applied').waitFor();
    expect((await lab.store.listHolds()).map((h) => [h.pattern, h.by, h.reason])).toEqual([['openssl', 'alice', 'INC-9: openssl 3.0.15 breaks /healthz']]);
    expect((await lab.store.holdEvents()).map((e) => [e.pattern, e.action, e.by])).toEqual([['openssl', 'hold', 'alice']]);
    await page.goto(`${lab.url}/patches`);
    expect(await page.locator('#holds tr[data-hold="openssl"]').textContent()).toContain('INC-9');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is linked from the scheduled run that bisected', async () => {
    const spec = parseScheduleSpec({ kind: 'cron', name: 'web-nightly', expression: '0 3 * * *', timeZone: 'UTC', images: ['web'], patch: 'security' });
    await lab.store.addSchedule({ spec, addedAt: Date.now() });
    const now = Date.now();
    await lab.store.recordScheduleRun({
      schedule: 'web-nightly', startedAt: now, slotAt: null, coalesced: false, finishedAt: now,
      images: [{ image: 'web', runId: 'lab-bisected', verdict: 'fail', upgradable: [], newlyUpgradable: [], patches: [], checks: [], bisect: scheduledBisectOf(finished) }],
    });
    const { context, page } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/schedules`);
    const entry = page.locator('#scheduled-bisections li[data-bisect="bisect-e2e"]');
    expect(await entry.textContent()).toContain(`culprit openssl in ${finished.testsRun} lab run(s)`);
    await Promise.all([page.waitForURL(`${lab.url}/bisects/bisect-e2e`), entry.locator('a').click()]);
    await context.close();
  });
});
