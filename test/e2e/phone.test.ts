import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../rollout/engine/observations.ts';
import { driveModel } from '../unit/web-fixtures.ts';
import { loggedIn, PHONE, shot, startWebLab, type WebLab } from './fixture.ts';
import { labReport } from './lab-reports.ts';
import { phoneProblems } from './layout-checks.ts';
import { storeModelRollout } from './model-rollouts.ts';

/*
 * Every page on a 390 px phone, in Chromium: no horizontal scrolling, no id, version or check name
 * broken inside a word, no button label on two lines, every target at least 24 px, and on a
 * rollout the decisions before the host grid.
 */

let lab: WebLab;
const NGINX_OUTPUT = '2026/12/07 06:20:23 [emerg] 460#460: unknown directive "worker_tuning_level" in /etc/nginx/conf.d/zz-patchlab-tuning.conf:1\nnginx: configuration file /etc/nginx/nginx.conf test failed';

/** The model's failing checks, with the evidence a real fleet keeps. */
function withEvidence(observation: Observation): Observation {
  return {
    ...observation,
    checks: observation.checks.map((c) => (c.status === 'pass' ? c : { ...c, message: 'status: expected 200, got 502; body: expected to contain "ok", got "<html>502 Bad Gateway</html>"', output: NGINX_OUTPUT })),
  };
}

beforeAll(async () => {
  lab = await startWebLab();
  await storeModelRollout(lab.store, driveModel((l) => l.state.rings[1]!.soakStartedAt !== null), 'rollout-20261207-054853-b881');
  const failed = driveModel((l) => l.state.phase === 'rolled-back', { behaviour: { 'web-008': 'bad' } });
  failed.lab.observations = failed.lab.observations.map(withEvidence);
  await storeModelRollout(lab.store, failed, 'rollout-20261207-061908-a990');
  await lab.store.saveLabRun(labReport('lab-20261207-054907-5002', [{ name: 'tzdata', from: '2024a-0+deb12u1', to: '2025b-0+deb12u1' }]));
});

afterAll(async () => {
  await lab?.close();
});

describe('on a 390 px phone', () => {
  it('every page fits, breaks no word, wraps no button and has targets of 24 px or more', async () => {
    const { context, page, errors } = await loggedIn(lab, 'root', { viewport: PHONE });
    const pages = ['/rollouts', '/rollouts/rollout-20261207-054853-b881', '/rollouts/rollout-20261207-061908-a990', '/lab-runs', '/lab-runs/lab-20261207-054907-5002', '/audit', '/users', '/schedules', '/patches'];
    for (const path of pages) {
      await page.goto(`${lab.url}${path}`);
      expect({ path, ...(await phoneProblems(page)) }).toEqual({ path, overflow: 0, brokenWords: [], smallTargets: [], wrappedButtons: [] });
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'patches-phone');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a rollout with its decisions before the host grid, and its rollback question fitting the screen', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice', { viewport: PHONE });
    await page.goto(`${lab.url}/rollouts/rollout-20261207-061908-a990`);
    const top = (selector: string) => page.locator(selector).evaluate((el) => el.getBoundingClientRect().top);
    expect(await top('#timeline-title')).toBeLessThan(await top('#hosts-title'));
    expect(await top('#rings-title')).toBeLessThan(await top('#timeline-title'));
    await shot(page, 'rollout-failed-phone');

    await page.goto(`${lab.url}/rollouts/rollout-20261207-054853-b881`);
    await page.fill('#reason', 'pilot pages the on-call');
    await page.click('#actions button[value="rollback"]');
    await page.locator('#rollback-confirm .confirm-question').waitFor();
    expect(await phoneProblems(page)).toEqual({ overflow: 0, brokenWords: [], smallTargets: [], wrappedButtons: [] });
    await shot(page, 'rollout-phone');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps the users page buttons on one line each', async () => {
    const { context, page } = await loggedIn(lab, 'root', { viewport: PHONE });
    await page.goto(`${lab.url}/users`);
    const heights = await page.locator('table.users button').evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().height));
    expect(heights.length).toBe(8);
    expect(Math.max(...heights)).toBeLessThan(40);
    await shot(page, 'users-phone');
    await context.close();
  });
});
