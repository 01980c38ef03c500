import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pause, resume, rollback } from '../../rollout/engine/commands.ts';
import { giveCommand } from '../../rollout/drive/control.ts';
import { driveModel } from '../unit/web-fixtures.ts';
import { labReport } from './lab-reports.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';
import { MODEL_META, storeModelRollout, tickOn } from './model-rollouts.ts';

/*
 * The rollout page as a release manager reads it, in Chromium, on rollouts the engine made on the
 * model fleet and stored as a driver stores them (no container): what waits on whom, what the
 * buttons do, the chart, the patch and its proof, the soak while paused, and rings after a rollback.
 */

let lab: WebLab;
const ids = { approval: 'rollout-page-approval', paused: 'rollout-page-paused', soaking: 'rollout-page-soaking', done: 'rollout-page-done', engineRollback: 'rollout-page-engine-rollback', manualRollback: 'rollout-page-manual-rollback', long: 'rollout-page-long', steered: 'rollout-page-steered' };
const command = { actor: 'alice', reason: 'INC-7: the service desk reports slowness' };

beforeAll(async () => {
  lab = await startWebLab();
  const awaiting = driveModel((l) => l.state.phase === 'awaiting-approval', { approve: false });
  await storeModelRollout(lab.store, awaiting, ids.approval, { agoMs: 90_000 });

  // Pilot five minutes into its hour of soak.
  const soaking = tickOn(driveModel((l) => l.state.rings[1]!.soakStartedAt !== null), 5);
  await storeModelRollout(lab.store, soaking, ids.soaking);
  await storeModelRollout(lab.store, soaking, ids.steered);
  soaking.lab.state = pause(soaking.lab.state, command, soaking.lab.now);
  await storeModelRollout(lab.store, soaking, ids.paused);

  await storeModelRollout(lab.store, driveModel((l) => l.state.phase === 'completed'), ids.done);
  // The canary host breaks; the canary's budget is 0: the engine rolls back.
  await storeModelRollout(lab.store, driveModel((l) => l.state.phase === 'rolled-back', { behaviour: { 'web-008': 'bad' } }), ids.engineRollback, { meta: {} });
  const manual = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
  manual.lab.state = rollback(manual.lab.state, { actor: 'bob', reason: 'change window closed' }, manual.lab.now);
  await storeModelRollout(lab.store, tickOn(manual, 3), ids.manualRollback);
  // A long rollout: 130 commands after the engine's own entries, more than two pages of timeline.
  const long = driveModel((l) => l.state.rings[0]!.soakStartedAt !== null);
  for (let i = 0; i < 130; i++) long.lab.state = (i % 2 === 0 ? pause : resume)(long.lab.state, { actor: 'bob', reason: `command ${i}` }, long.lab.now + i);
  long.lab.now += 130;
  await storeModelRollout(lab.store, long, ids.long);
  // A lab run that installed exactly the model patch's versions, and one that did not.
  await lab.store.saveLabRun(labReport('lab-model-proof', MODEL_META.prepared.packages));
  await lab.store.saveLabRun(labReport('lab-model-other', [{ name: 'tzdata', from: '2024a', to: '2025b' }]));
});

afterAll(async () => {
  await lab?.close();
});

describe('the rollout page', () => {
  it('says what waits for whom, since when, and what approve and promote each do', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/rollouts/${ids.approval}`);
    const banner = page.locator('#waiting[data-waits="approval"]');
    expect(await banner.locator('h2').textContent()).toBe('Waiting for approval: ring pilot');
    const text = await banner.textContent();
    expect(text).toContain('Ring pilot (2 hosts) needs a release manager\'s approval before its first host is patched.');
    expect(text).toMatch(/Waiting since \d\d:\d\d:\d\d UTC \(1 min 3\d s ago\)/);
    expect(text).toContain('Who may act: release managers (alice, bob, root).');
    expect(await page.locator('#help-approve-pilot').textContent()).toBe('Approve pilot lets pilot start now: its hosts are patched as soon as you approve.');
    await shot(page, 'rollout-awaiting-approval-banner');

    await page.goto(`${lab.url}/rollouts/${ids.soaking}`);
    expect(await page.locator('#waiting').count()).toBe(0);
    // Broad needs no approval here: promote's line says what promoting skips.
    expect(await page.locator('#help-promote-broad').textContent()).toBe("Promote to broad ends pilot's soak now and moves on to broad, accepting pilot's failures so far.");
    expect(errors).toEqual([]);
    await context.close();
  });

  it('stops the soak countdown while paused, and says so', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.soaking}`);
    const running = await page.locator('#ring-pilot .soak').textContent();
    expect(running).toMatch(/left of 1 h$/);
    await page.goto(`${lab.url}/rollouts/${ids.paused}`);
    const soak = page.locator('#ring-pilot .soak');
    const before = await soak.textContent();
    expect(before).toBe('paused with 55 min left of 1 h');
    // Three polls later the countdown stands where it stopped.
    await page.waitForTimeout(3_200);
    expect(await soak.textContent()).toBe(before);
    expect(await page.locator('#waiting[data-waits="resume"] h2').textContent()).toBe('Paused in ring pilot');
    expect(await page.locator('#estimate').textContent()).toMatch(/if resumed now/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the patch, the lab run with its versions, ring times and an estimate of the end', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.soaking}`);
    expect(await page.locator('#provenance tr[data-package]').evaluateAll((rows) => rows.map((r) => r.textContent))).toEqual([
      'openssl3.0.13-1~deb12u13.0.15-1~deb12u1',
      'libssl33.0.13-1~deb12u13.0.15-1~deb12u1',
    ]);
    const proof = await page.locator('#lab-proof').textContent();
    expect(proof).toContain("The rollout's record names no lab run that proved this patch.");
    expect(proof).toContain('lab-model-proof');
    expect(proof).not.toContain('lab-model-other');
    expect(await page.locator('#ring-canary .ring-time').textContent()).toMatch(/^\d\d:\d\d:\d\d → \d\d:\d\d:\d\d, \d+ min/);
    expect(await page.locator('#ring-pilot .ring-time').textContent()).toMatch(/^since \d\d:\d\d:\d\d, \d+ (s|min)/);
    expect(await page.locator('#ring-broad .ring-time').textContent()).toBe('not started');
    // Pilot's hour of soak, broad's 10 min, and broad's 5 hosts 3 at a time.
    expect(await page.locator('#estimate').textContent()).toMatch(/^Estimated end ≈ \d\d:\d\d:\d\d UTC, in 1 h [67] min \(an estimate: 1 h [45] min of soak left, 2 waves of patching \(about 1 min each\)\)$/);
    await shot(page, 'rollout-traceability');
    await page.goto(`${lab.url}/rollouts/${ids.engineRollback}`);
    expect(await page.locator('#no-packages').textContent()).toContain('stored without the prepared patch');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('draws the chart in steps, with the rings at 100 % apart and times of day on the axis', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.done}`);
    const paths = await page.locator('.chart path.line').evaluateAll((lines) => lines.map((l) => l.getAttribute('d') ?? ''));
    expect(paths.length).toBe(3);
    expect(paths.every((d) => /^M[\d.]+ [\d.]+( H[\d.]+ V[\d.]+)+$/.test(d))).toBe(true);
    // Each ring ends at 100 %, each on its own pixels.
    expect(new Set(paths.map((d) => d.split(' ').at(-1))).size).toBe(3);
    expect(await page.locator('.chart text.time').allTextContents()).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d$/), expect.stringMatching(/^\d\d:\d\d:\d\d$/), expect.stringMatching(/^\d\d:\d\d:\d\d UTC$/)]);
    await page.locator('.chart').screenshot({ path: `${import.meta.dirname}/screenshots/chart-completed.png` });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows rolled-back rings as the rollback judged them, agreeing with the timeline', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.engineRollback}`);
    const canary = page.locator('#ring-canary');
    expect(await canary.locator('.host-counts').textContent()).toBe('1 rolled back of 1');
    expect(await canary.locator('.budget').textContent()).toBe('1 / 0 — over budget');
    const decided = page.locator('#timeline [data-action="rollback"]');
    await decided.locator('summary').click();
    expect(await decided.locator('.figures-table').textContent()).toMatch(/failed\s*1/);
    await shot(page, 'rollout-engine-rollback');

    await page.goto(`${lab.url}/rollouts/${ids.manualRollback}`);
    const manual = page.locator('#ring-canary');
    expect(await manual.locator('.host-counts').textContent()).toBe('1 rolled back of 1');
    expect(await manual.locator('.budget').textContent()).toBe('0 / 0');
    expect(await manual.locator('.pass-rate').textContent()).toBe('100 % (1/1 patched)');
    expect(await page.locator('.host.phase-rolled-back .check').textContent()).toMatch(/^✓ 1 check pass on the base version · /);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the latest 50 decisions and pages back to the first, with htmx in place or as plain pages without JavaScript', async () => {
    const total = (await lab.store.loadRollout(ids.long))!.state.audit.length;
    const newestFirst = Array.from({ length: total }, (_, i) => `audit-${total - 1 - i}`);
    const shown = (page: import('playwright-core').Page) => page.locator('#timeline > li.entry').evaluateAll((items) => items.map((li) => li.id));

    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.long}`);
    expect(await shown(page)).toEqual(newestFirst.slice(0, 50));
    expect(await page.locator('#audit-' + (total - 1) + ' .reasons').textContent()).toBe('command 129');
    let clicks = 0;
    for (; (await page.locator('#timeline-older a').count()) > 0; clicks++) {
      const count = (await shown(page)).length;
      await page.click('#timeline-older a');
      await page.locator(`#timeline > li.entry >> nth=${Math.min(total, count + 50) - 1}`).waitFor();
    }
    // Appended in place (no navigation), every entry once, newest first, down to the first.
    expect(page.url()).toBe(`${lab.url}/rollouts/${ids.long}`);
    expect(await shown(page)).toEqual(newestFirst);
    expect(clicks).toBe(Math.ceil((total - 50) / 50));
    expect(await page.locator('#audit-0 .action').textContent()).toBe((await lab.store.loadRollout(ids.long))!.state.audit[0]!.action.replaceAll('-', ' '));
    expect(errors).toEqual([]);
    await context.close();

    const plain = await loggedIn(lab, 'victor', { javaScript: false });
    await plain.page.goto(`${lab.url}/rollouts/${ids.long}`);
    const seen = await shown(plain.page);
    while ((await plain.page.locator('#timeline-older a').count()) > 0) {
      await Promise.all([plain.page.waitForURL(/\/timeline\?before=\d+$/), plain.page.click('#timeline-older a')]);
      seen.push(...(await shown(plain.page)));
    }
    expect(seen).toEqual(newestFirst);
    expect(await plain.page.locator('h1').textContent()).toBe(`Decisions 1 to ${total % 50 || 50} of ${total}`);
    await plain.context.close();
  });

  it('brings in a command given elsewhere by its next poll, swapping only the parts it changed', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    await page.goto(`${lab.url}/rollouts/${ids.steered}`);
    expect(await page.locator('#waiting').count()).toBe(0);
    // Mark the document and the chart: a reload or a chart swapped in again would lose the marks.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 7;
      document.querySelector('#live-chart section')!.setAttribute('data-marked', 'yes');
    });
    const sent: Promise<string>[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/live?seen=')) sent.push(r.status() === 204 ? Promise.resolve('') : r.text());
    });
    await giveCommand(lab.store, ids.steered, { name: 'pause', actor: 'bob', reason: 'CHG-77 freeze' });
    await page.locator('#waiting[data-waits="resume"]').waitFor();
    expect(await page.locator('#waiting p').first().textContent()).toMatch(/^Paused by bob since .*: CHG-77 freeze$/);
    expect(await page.locator('#timeline [data-action="pause"].by-person .reasons').textContent()).toBe('CHG-77 freeze');
    expect(await page.locator('#rollout-phase').textContent()).toBe('paused');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    // No health sample came in: the chart was never sent again, so it is the element marked.
    expect(await page.locator('#live-chart section[data-marked="yes"]').count()).toBe(1);
    const bodies = await Promise.all(sent);
    expect(bodies.some((b) => b.includes('hx-target="#live-waiting"'))).toBe(true);
    expect(bodies.some((b) => b.includes('hx-target="#live-chart"'))).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});
