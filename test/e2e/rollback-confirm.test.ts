import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { driveModel } from '../unit/web-fixtures.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';
import { storeModelRollout } from './model-rollouts.ts';

/*
 * Roll back asks first, naming the hosts it would touch, and only a second submit carrying that
 * count rolls back: with htmx in Chromium, and in a browser without JavaScript. The rollouts are
 * the engine's own states, stored without a driver, so a command given is all that happens.
 */

let lab: WebLab;
/** Pilot soaking: canary's host and pilot's two run the patch, so a rollback touches three. */
const pilotSoaking = () => driveModel((l) => l.state.rings[1]!.soakStartedAt !== null);

async function phaseOf(id: string): Promise<RolloutState['phase']> {
  return (await lab.store.loadRollout(id))!.state.phase;
}

beforeAll(async () => {
  lab = await startWebLab({ pollMs: 500 });
  await storeModelRollout(lab.store, pilotSoaking(), 'rollout-confirm-htmx');
  await storeModelRollout(lab.store, pilotSoaking(), 'rollout-confirm-plain');
  await storeModelRollout(lab.store, pilotSoaking(), 'rollout-confirm-cancel');
});

afterAll(async () => {
  await lab?.close();
});

describe('rolling back from the page', () => {
  it('asks "Roll back 3 hosts now?" first; the question survives the live updates; the confirmation rolls back', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/rollouts/rollout-confirm-htmx`);
    await page.fill('#reason', 'pilot pages the on-call; INC-88');
    await page.click('#actions button[value="rollback"]');
    const question = page.locator('#rollback-confirm .confirm-question');
    await question.waitFor();
    expect(await question.textContent()).toMatch(/^Roll back 3 hosts now\? canary: 1, pilot: 2\./);
    expect(await phaseOf('rollout-confirm-htmx')).toBe('running');
    // The live part polls every 500 ms; its buttons part, rendered without the question, is sent and morphed: the open question stays as it is.
    const polled = page.waitForResponse((r) => r.url().includes('/rollouts/rollout-confirm-htmx/live?seen=') && r.status() === 200);
    await polled;
    await page.waitForTimeout(1_200);
    expect(await question.isVisible()).toBe(true);
    // So does the reason in its field: the live updates render it empty, and must not empty it.
    expect(await page.inputValue('#reason')).toBe('pilot pages the on-call; INC-88');
    await shot(page, 'rollback-confirm');
    await page.click('#confirm-rollback');
    await page.locator('#rollout-phase[data-phase="rolling-back"]').waitFor();
    await page.locator('#flash').getByText('Rollback started by alice: pilot pages the on-call; INC-88').waitFor();
    expect(await page.locator('.confirm-question').count()).toBe(0);
    const state = (await lab.store.loadRollout('rollout-confirm-htmx'))!.state;
    expect(state.audit.at(-1)).toMatchObject({ action: 'rollback', actor: 'alice', reasons: ['pilot pages the on-call; INC-88'] });
    expect(state.audit.at(-1)?.hosts).toHaveLength(3);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('cancels without rolling back', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/rollouts/rollout-confirm-cancel`);
    await page.fill('#reason', 'second thoughts');
    await page.click('#actions button[value="rollback"]');
    await page.locator('#cancel-rollback').click();
    await page.locator('#rollback-confirm:empty').waitFor({ state: 'attached' });
    expect(await phaseOf('rollout-confirm-cancel')).toBe('running');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works the same without JavaScript: a page with the question, then the rollback', async () => {
    const { context, page } = await loggedIn(lab, 'alice', { javaScript: false });
    await page.goto(`${lab.url}/rollouts/rollout-confirm-plain`);
    await page.fill('#reason', 'no JavaScript on the jump host');
    await page.click('#actions button[value="rollback"]');
    await page.locator('#rollback-confirm .confirm-question').waitFor();
    expect(await page.locator('#rollback-confirm .confirm-question').textContent()).toMatch(/^Roll back 3 hosts now\?/);
    expect(await phaseOf('rollout-confirm-plain')).toBe('running');
    await Promise.all([page.waitForURL(`${lab.url}/rollouts/rollout-confirm-plain`), page.click('#confirm-rollback')]);
    expect(await page.locator('#rollout-phase').getAttribute('data-phase')).toBe('rolling-back');
    expect(await phaseOf('rollout-confirm-plain')).toBe('rolling-back');
    await context.close();
  });

  it('asks again when the confirmation names fewer hosts than a rollback would touch now', async () => {
    const { context, page } = await loggedIn(lab, 'bob');
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    await storeModelRollout(lab.store, pilotSoaking(), 'rollout-confirm-stale');
    const stale = await context.request.post(`${lab.url}/rollouts/rollout-confirm-stale/actions`, { form: { _csrf: token, action: 'rollback', reason: 'old page', confirm: '1' }, maxRedirects: 0 });
    expect(stale.status()).toBe(200);
    expect(await stale.text()).toContain('You confirmed 1 host; the patch has reached 3 since. Confirm again.');
    expect(await phaseOf('rollout-confirm-stale')).toBe('running');
    await context.close();
  });
});
