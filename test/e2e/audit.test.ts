import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pause, promote, resume } from '../../rollout/engine/commands.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { driveModel } from '../unit/web-fixtures.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';
import { labReport } from './lab-reports.ts';
import { storeModelRollout } from './model-rollouts.ts';

/*
 * The audit page across rollouts and its CSV export, in Chromium: filters by rollout, actor,
 * action and time; the export holds what the page shows, quoted so a spreadsheet reads each
 * reason as one text cell. And the lab runs list names each run's patch.
 */

let lab: WebLab;
const states: RolloutState[] = [];
/** A reason a spreadsheet would misread: a formula, a comma, quotes and a line break. */
const TRICKY = '=HYPERLINK("http://evil.example","open"), then "restart"\nsecond line';

beforeAll(async () => {
  lab = await startWebLab();
  const first = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
  first.lab.state = pause(first.lab.state, { actor: 'alice', reason: TRICKY }, first.lab.now);
  first.lab.state = resume(first.lab.state, { actor: 'alice', reason: 'checked: false alarm' }, first.lab.now);
  states.push(await storeModelRollout(lab.store, first, 'rollout-audit-1', { agoMs: 3_600_000 }));
  const second = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
  second.lab.state = promote(second.lab.state, { actor: 'bob', reason: 'canary fine, CHG-9', ring: 'pilot' }, second.lab.now);
  states.push(await storeModelRollout(lab.store, second, 'rollout-audit-2'));
  await lab.store.saveLabRun(labReport('lab-audit-tz', [{ name: 'tzdata', from: '2024a-0+deb12u1', to: '2025b-0+deb12u1' }]));
});

afterAll(async () => {
  await lab?.close();
});

const rowsShown = (page: import('playwright-core').Page) => page.locator('.audit-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-rollout'), r.getAttribute('data-actor'), r.getAttribute('data-action')]));

describe('the audit page', () => {
  it('lists every rollout\'s decisions and commands, and filters them by rollout, actor, action and time', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.click('nav a[href="/audit"]');
    const total = states.reduce((n, s) => n + s.audit.length, 0);
    expect((await rowsShown(page)).length).toBe(total);
    await shot(page, 'audit');

    await page.selectOption('#audit-actor', 'alice');
    await page.click('.audit-filter button[type=submit]');
    expect(await rowsShown(page)).toEqual([
      ['rollout-audit-1', 'alice', 'resume'],
      ['rollout-audit-1', 'alice', 'pause'],
    ]);
    await page.selectOption('#audit-actor', '');
    await page.selectOption('#audit-action', 'promote');
    await page.selectOption('#audit-rollout', 'rollout-audit-2');
    await page.click('.audit-filter button[type=submit]');
    expect(await rowsShown(page)).toEqual([['rollout-audit-2', 'bob', 'promote']]);
    // The first rollout happened an hour ago: from half an hour ago on, only the second's entries.
    const from = new Date(Date.now() - 30 * 60_000).toISOString().slice(0, 16);
    await page.goto(`${lab.url}/audit?from=${from}`);
    expect(new Set((await rowsShown(page)).map(([rollout]) => rollout))).toEqual(new Set(['rollout-audit-2']));
    expect(await page.inputValue('#audit-from')).toBe(from);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('exports the rows shown as CSV, each reason one quoted cell, a formula made text', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/audit?actor=alice`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-csv')]);
    expect(download.suggestedFilename()).toMatch(/^patchlab-audit-\d{8}-\d{4}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('time,rollout,entry,ring,action,actor,reasons,hosts,figures');
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,rollout-audit-1,\d+,canary,resume,alice,checked: false alarm,,$/);
    // One quoted field across the reason's line break; the quotes doubled; an apostrophe before the formula.
    expect(lines[2]).toMatch(/,pause,alice,"'=HYPERLINK\(""http:\/\/evil\.example"",""open""\), then ""restart""\nsecond line",,$/);
    expect(lines.slice(3)).toEqual(['']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says what is wrong with a time it cannot read', async () => {
    const { context, page } = await loggedIn(lab, 'victor');
    const response = await page.goto(`${lab.url}/audit?from=yesterday`);
    expect(response?.status()).toBe(400);
    expect(await page.locator('.flash.error').textContent()).toBe('from: expected a UTC time such as 2026-12-07T05:40, got "yesterday"');
    expect((await context.request.get(`${lab.url}/audit.csv?to=soon`)).status()).toBe(400);
    await context.close();
  });
});

describe('the lab runs list', () => {
  it('names the patch of each run', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/lab-runs`);
    const cell = page.locator('tr[data-run="lab-audit-tz"] .patch-cell');
    expect(await cell.textContent()).toBe('tzdatatzdata');
    expect(await cell.locator('.run-patch').getAttribute('title')).toBe('tzdata 2024a-0+deb12u1 → 2025b-0+deb12u1');
    expect(errors).toEqual([]);
    await context.close();
  });
});
