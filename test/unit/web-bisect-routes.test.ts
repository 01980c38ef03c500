import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { bisectReport } from '../contract/bisect-store.contract.ts';
import { Client, login } from './web-client.ts';

/*
 * The bisection routes' refusals over real HTTP (the page itself is e2e/bisect-page.test.ts's):
 * who may apply a hold, and what there is to apply.
 */

const PASSWORD = 'correct horse battery';
let store: Store;
let users: UserStore;
let server: RunningServer;

beforeAll(async () => {
  store = openStore(':memory:');
  users = UserStore.open(':memory:', { cost: { N: 1024, r: 8, p: 1 } });
  await users.addUser('alice', 'release-manager', PASSWORD);
  await users.addUser('victor', 'viewer', PASSWORD);
  await store.saveBisect(bisectReport('bisect-running', 'lab-1', '2026-12-07T08:00:00.000Z'));
  await store.saveBisect({ ...bisectReport('bisect-done', 'lab-1', '2026-12-07T09:00:00.000Z', 'finished'), hold: ['tzdata'] });
  server = await listen(createApp({ store, users }), { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close();
  await store.close();
  users.close();
});

async function as(name: string): Promise<Client> {
  const client = new Client(server.url);
  await login(client, name, PASSWORD);
  return client;
}

describe('a bisection\'s proposed hold', () => {
  it('is applied by a release manager only, with a reason, once it is proposed', async () => {
    const victor = await as('victor');
    expect((await victor.post('/bisects/bisect-done/hold', { _csrf: await victor.csrf(), reason: 'x' })).status).toBe(403);
    const alice = await as('alice');
    const csrf = await alice.csrf();
    const noReason = await alice.post('/bisects/bisect-done/hold', { _csrf: csrf, reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('give a reason: it goes into the record of holds');
    const running = await alice.post('/bisects/bisect-running/hold', { _csrf: csrf, reason: 'too early' });
    expect(running.status).toBe(409);
    expect(await running.text()).toContain('bisection bisect-running proposes no hold (it is running)');
    expect((await alice.post('/bisects/bisect-none/hold', { _csrf: csrf, reason: 'x' })).status).toBe(404);
    expect(await store.listHolds()).toEqual([]);

    const applied = await alice.post('/bisects/bisect-done/hold', { _csrf: csrf, reason: 'breaks /healthz' });
    expect([applied.status, applied.headers.get('location')]).toEqual([303, '/bisects/bisect-done']);
    // Applying again holds nothing twice.
    await alice.post('/bisects/bisect-done/hold', { _csrf: csrf, reason: 'again' });
    expect((await store.holdEvents()).map((e) => [e.pattern, e.action, e.by, e.reason])).toEqual([['tzdata', 'hold', 'alice', 'breaks /healthz']]);
  });

  it('a bisection that does not exist is a 404 page, and the live part answers for a running one', async () => {
    const victor = await as('victor');
    expect((await victor.get('/bisects/bisect-none')).status).toBe(404);
    const live = await victor.get('/bisects/bisect-running/live', { 'hx-request': 'true' });
    expect(live.status).toBe(200);
    expect(await live.text()).toContain('id="bisect-poller"');
  });

  it('the API gives bisections, by the lab run they bisect, and one whole', async () => {
    const token = users.tokens.create('victor', 'ci').secret;
    const get = (path: string) => fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await (await get('/bisects?runId=lab-1')).json()) as { bisects: { bisectId: string }[] }).bisects.map((b) => b.bisectId)).toEqual(['bisect-done', 'bisect-running']);
    expect(await (await get('/bisects/bisect-done')).json()).toEqual(await store.loadBisect('bisect-done'));
    const missing = await get('/bisects/bisect-none');
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'no bisection bisect-none' }]);
  });
});
