import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabReport } from '../../lab/run/report.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { LoginThrottle } from '../../web/auth/login-throttle.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { PatchDiscovery } from '../../web/services/patch-discovery.ts';
import { ageWaitFor } from '../../rollout/engine/age-wait.ts';
import type { EngineWait } from '../../web/model/waiting.ts';
import { fleetOf, modelLab } from './rollout-harness.ts';
import { driveModel, storeSnapshot, WEB_POLICY, WEB_RINGS } from './web-fixtures.ts';
import { Client, login as loginAs } from './web-client.ts';

const login = (client: Client, username: string, password = PASSWORD) => loginAs(client, username, password);

/*
 * The web app over real HTTP on a loopback port, with an in-memory rollout store and user store
 * and an injected clock: every refusal the UI promises (login, roles, CSRF, sizes, unknown routes)
 * is checked here as a browser would meet it, without Docker.
 */

const PASSWORD = 'correct horse battery';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let store: Store;
let users: UserStore;
let server: RunningServer;
let clock: { now: number };
let logged: string[];
let rolloutId: string;
let discovered: string[];
/** Ends the discovery in progress: the test says when, so "still discovering" does not depend on the machine's speed. */
let finishDiscovery: () => void;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-web-app-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  store = openStore(':memory:');
  users = UserStore.open(':memory:', { cost: { N: 1024, r: 8, p: 1 }, now: () => clock.now });
  const snapshot = driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);
  clock = { now: snapshot.lab.now };
  rolloutId = await storeSnapshot(store, snapshot, 'scenarios/<script>window.__x=1</script>.yaml');
  await users.addUser('root', 'admin', PASSWORD);
  await users.addUser('alice', 'release-manager', PASSWORD);
  await users.addUser('victor', 'viewer', PASSWORD);
  logged = [];
  discovered = [];
  const discovery = new PatchDiscovery(
    async (image) => {
      discovered.push(image);
      await new Promise<void>((r) => (finishDiscovery = r));
      return { candidates: [{ name: 'tzdata', installed: '2024a-0+deb12u1', candidate: '2025b-0+deb12u1', suite: 'bookworm-updates', origin: 'Debian', security: false }], advisories: [] };
    },
    () => ['web'],
    () => clock.now,
  );
  const app = createApp({ store, users, discovery, now: () => clock.now, throttle: new LoginThrottle({ now: () => clock.now }), log: (m) => logged.push(m) });
  server = await listen(app, { host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await server.close();
  await store.close();
  users.close();
});

describe('anonymous requests', () => {
  it('are sent to the login page, which brings them back where they were going', async () => {
    const client = new Client(server.url);
    const page = await client.get(`/rollouts/${rolloutId}`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/rollouts/${rolloutId}`)}`);
    const post = await client.post(`/rollouts/${rolloutId}/actions`, { action: 'pause', reason: 'x' });
    expect([post.status, post.headers.get('location')]).toEqual([303, '/login?next=%2F']);
    const poll = await client.get(`/rollouts/${rolloutId}/live`, { 'hx-request': 'true', 'hx-current-url': `${server.url}/rollouts/${rolloutId}` });
    expect([poll.status, poll.headers.get('hx-redirect')]).toEqual([401, `/login?next=${encodeURIComponent(`/rollouts/${rolloutId}`)}`]);
    expect((await store.loadRollout(rolloutId))?.seq).toBe(0);
  });
});

describe('login', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie for the right password only', async () => {
    const client = new Client(server.url);
    const wrong = await login(client, 'alice', 'not the password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong user name or password.');
    const right = await login(client, 'alice');
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/rollouts');
    expect(right.headers.getSetCookie().find((c) => c.startsWith('patchlab_session='))).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const page = await client.get('/rollouts');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('alice <small>release manager</small>');
  });

  it('refuses a login form that did not come from the login page', async () => {
    const client = new Client(server.url);
    const res = await client.post('/login', { username: 'alice', password: PASSWORD });
    expect(res.status).toBe(403);
    expect(client.cookies.has('patchlab_session')).toBe(false);
  });

  it('goes back only to a local page after login', async () => {
    const client = new Client(server.url);
    const form = await (await client.get('/login')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const res = await client.post('/login', { _csrf: token, username: 'alice', password: PASSWORD, next: '//evil.example/x' });
    expect(res.headers.get('location')).toBe('/');
  });

  it('is rate-limited per address and user name, on the injected clock', async () => {
    const client = new Client(server.url);
    for (let i = 0; i < 5; i++) expect((await login(client, 'alice', 'guess number ' + i)).status).toBe(401);
    const limited = await login(client, 'alice');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(15 * 60);
    expect(await limited.text()).toContain('Too many failed attempts for alice');
    // Another user from the same address is not held back.
    expect((await login(new Client(server.url), 'victor')).status).toBe(303);
    clock.now += 15 * 60_000;
    expect((await login(client, 'alice')).status).toBe(303);
  });

  it('ends the session on logout', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const out = await client.post('/logout', { _csrf: await client.csrf() });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
    expect((await client.get('/rollouts')).status).toBe(303);
  });
});

describe('rollout commands', () => {
  const act = async (client: Client, form: Record<string, string>, headers: Record<string, string> = { 'hx-request': 'true' }) =>
    client.post(`/rollouts/${rolloutId}/actions`, form, headers);

  it('refuses a viewer, even with a valid token, and changes nothing', async () => {
    const client = new Client(server.url);
    await login(client, 'victor');
    const page = await (await client.get(`/rollouts/${rolloutId}`)).text();
    expect(page).not.toContain('value="promote:pilot"');
    const res = await act(client, { _csrf: await client.csrf(), action: 'promote:pilot', reason: 'viewer tries' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('needs the release manager role');
    expect((await store.loadRollout(rolloutId))?.seq).toBe(0);
  });

  it('refuses a request without the CSRF token, with a wrong one, or marked cross-site', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const token = await client.csrf();
    expect((await act(client, { action: 'pause', reason: 'no token' })).status).toBe(403);
    expect((await act(client, { _csrf: `${token}x`, action: 'pause', reason: 'wrong token' })).status).toBe(403);
    expect((await act(client, { _csrf: token, action: 'pause', reason: 'cross site' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await store.loadRollout(rolloutId))?.seq).toBe(0);
  });

  it('promotes with the reason and the person in the audit log, once however often it is sent', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const token = await client.csrf();
    const res = await act(client, { _csrf: token, action: 'promote:pilot', reason: 'canary looks fine, CHG-7' });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-trigger')).toBe('rollout-changed');
    const fragment = await res.text();
    expect(fragment).toContain('<hx-partial hx-target="#flash"');
    expect(fragment).toContain('Promoted pilot by alice: canary looks fine, CHG-7');
    const record = await store.loadRollout(rolloutId);
    expect(record?.state.ring).toBe(1);
    expect(record?.state.audit.at(-1)).toMatchObject({ actor: 'alice', action: 'promote', reasons: ['canary looks fine, CHG-7'] });
    const [transition] = await store.transitions(rolloutId);
    expect(transition).toMatchObject({ kind: 'command', actor: 'alice', payload: { name: 'promote', ring: 'pilot', reason: 'canary looks fine, CHG-7' } });
    // A double click: the same absolute command again changes nothing.
    expect((await act(client, { _csrf: token, action: 'promote:pilot', reason: 'again' })).status).toBe(200);
    expect((await store.loadRollout(rolloutId))?.seq).toBe(1);
  });

  it('shows a minimum-age wait with its date and the policy choice; only an admin may override the wait, and it is in the audit log', async () => {
    const young = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    const state = { ...young.state, id: 'rollout-young', ageWait: ageWaitFor([{ name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: clock.now }], 2 * 86_400_000, clock.now) };
    const text = "policy critical-security, picked by rule 'urgent-or-cve' (CVE-2026-1234, urgency high, from the package changelog)";
    await store.createRollout({ state, scenario: 'scenarios/demo.yaml', policy: WEB_POLICY, meta: { policyChoice: { policy: 'critical-security', by: 'rule', rule: 'urgent-or-cve', text } } });
    const manager = new Client(server.url);
    await login(manager, 'alice');
    const page = await (await manager.get('/rollouts/rollout-young')).text();
    expect(page).toContain(`<p class="policy-choice" id="policy-choice">${text.replaceAll("'", '&#39;')}</p>`);
    const until = new Date(clock.now + 2 * 86_400_000).toISOString();
    expect(page).toContain('Waiting for the minimum age until <time datetime="' + until + '"');
    // The summary: waiting, not running; the policy the rule picked, not the patch's severity beside it.
    expect(page).toContain('data-phase="running">waiting for age</span>');
    expect(page).toMatch(/<span class="badge policy-by-rule" id="policy-label" title="rule &#39;urgent-or-cve&#39;">critical-security policy<\/span>/);
    expect(page).not.toContain(`badge severity-${state.patch.severity}`);
    const listed = await (await manager.get('/rollouts')).text();
    expect(listed).toMatch(new RegExp(`<tr id="rollout-rollout-young">[\\s\\S]*?data-status="waiting-for-age">waiting for age</span> <small class="until">until <time datetime="${until}"`));
    // The list says the same as the summary: the policy the rule picked, and which rule.
    const row = /<tr id="rollout-rollout-young">[\s\S]*?<\/tr>/.exec(listed)?.[0] ?? '';
    expect(row).toContain('<span class="badge policy-by-rule" title="rule &#39;urgent-or-cve&#39;">critical-security policy</span> <small class="muted policy-from">rule &#39;urgent-or-cve&#39;</small>');
    expect(row).not.toContain(`severity-${state.patch.severity}`);
    expect(page).not.toContain('value="override-age"');
    const refused = await manager.post('/rollouts/rollout-young/actions', { _csrf: await manager.csrf(), action: 'override-age', reason: 'hurry' }, { 'hx-request': 'true' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Override minimum age needs the admin role; alice is a release manager');
    const admin = new Client(server.url);
    await login(admin, 'root');
    expect(await (await admin.get('/rollouts/rollout-young')).text()).toContain('value="override-age"');
    const done = await admin.post('/rollouts/rollout-young/actions', { _csrf: await admin.csrf(), action: 'override-age', reason: 'exploited in the wild' }, { 'hx-request': 'true' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Minimum age overridden by root: exploited in the wild');
    expect((await store.loadRollout('rollout-young'))?.state.audit.at(-1)).toMatchObject({ actor: 'root', action: 'override-age', reasons: ['exploited in the wild'] });
    expect(await (await admin.get('/rollouts')).text()).toMatch(/<tr id="rollout-rollout-young">[\s\S]*?data-status="running">running<\/span>/);
  });

  it('answers a plain form post with a redirect back to the rollout', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const res = await act(client, { _csrf: await client.csrf(), action: 'pause', reason: 'lunch' }, {});
    expect([res.status, res.headers.get('location')]).toEqual([303, `/rollouts/${rolloutId}`]);
    expect((await store.loadRollout(rolloutId))?.state.phase).toBe('paused');
  });

  it('refuses a missing reason, an unknown command and one the state does not allow, saying why', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const token = await client.csrf();
    const blank = await act(client, { _csrf: token, action: 'pause', reason: '   ' });
    expect(blank.status).toBe(400);
    expect(await blank.text()).toContain('give a reason: it goes into the audit log');
    const unknown = await act(client, { _csrf: token, action: 'delete-everything', reason: 'x' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('is not a command');
    const skip = await act(client, { _csrf: token, action: 'promote:broad', reason: 'skip pilot <b>now</b>' });
    expect(skip.status).toBe(409);
    const text = await skip.text();
    expect(text).toContain('promote one ring at a time');
    // The reason typed is given back, escaped, so it need not be typed again.
    expect(text).toContain('skip pilot &lt;b&gt;now&lt;/b&gt;</textarea>');
    const plain = await act(client, { _csrf: token, action: 'promote:broad', reason: 'x' }, {});
    expect(plain.status).toBe(409);
    expect(await plain.text()).toContain('<h1><span class="status">409</span> Not possible now</h1>');
    expect((await store.loadRollout(rolloutId))?.seq).toBe(0);
  });

  it('answers 404 for a rollout that does not exist', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    expect((await client.get('/rollouts/nope')).status).toBe(404);
    expect((await client.post('/rollouts/nope/actions', { _csrf: await client.csrf(), action: 'pause', reason: 'x' })).status).toBe(404);
  });
});

describe('a rollout no process drives', () => {
  it('is marked on the list and on its page, with how to drive it again; while a process holds its lease, the page names it', async () => {
    const client = new Client(server.url);
    await login(client, 'victor');
    expect(await (await client.get(`/rollouts/${rolloutId}`)).text()).toContain(`No patchlab process drives this rollout`);
    expect(await (await client.get('/rollouts/table')).text()).toContain('no process drives it');
    const lease = await store.claimLease(rolloutId, 'coordinator-2:4242:99', clock.now, 30_000);
    try {
      const live = await (await client.get(`/rollouts/${rolloutId}/live`)).text();
      expect(live).not.toContain('No patchlab process drives');
      expect(live).toContain('Driven by patchlab process 4242 on coordinator-2 (lease epoch 1).');
      expect(await (await client.get('/rollouts')).text()).not.toContain('no process drives it');
      // A lease that expired (its driver killed) is nobody driving.
      clock.now += 30_000;
      expect(await (await client.get(`/rollouts/${rolloutId}/live`)).text()).toContain('No patchlab process drives');
      clock.now -= 30_000;
    } finally {
      await store.releaseLease(lease);
    }
  });
});

describe('a rollout whose host steps wait for a worker', () => {
  it('says so in the banner, and a poll in the same second follows the waits as they change', async () => {
    let waits: EngineWait[] = [{ engine: 'tcp://lab-2.internal:2375', since: clock.now - 60_000, hosts: ['web-003'] }];
    const app = createApp({ store, users, now: () => clock.now, workerWaits: async (id) => (id === rolloutId ? waits : []), log: (m) => logged.push(m) });
    const own = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      const client = new Client(own.url);
      await login(client, 'victor');
      const page = await (await client.get(`/rollouts/${rolloutId}`)).text();
      expect(page).toContain('data-waits="worker"');
      expect(page).toContain('Waiting for a worker on engine <code>tcp://lab-2.internal:2375</code>');
      const poll = /id="live-poller" hidden hx-get="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
      expect((await client.get(poll, { 'hx-request': 'true' })).status).toBe(204);
      // A worker started on that engine: nothing else changed, not even the second.
      waits = [];
      const answer = await client.get(poll, { 'hx-request': 'true' });
      expect(answer.status).toBe(200);
      const delta = await answer.text();
      expect([...delta.matchAll(/<hx-partial hx-target="#live-(\w+)"/g)].map((m) => m[1])).toEqual(['waiting']);
      expect(delta).not.toContain('data-waits="worker"');
    } finally {
      await own.close();
    }
  });
});

describe("the rollout page's polls", () => {
  const htmx = { 'hx-request': 'true' };
  const pollerUrl = (markup: string) => /id="live-poller" hidden hx-get="([^"]+)"/.exec(markup)?.[1]?.replaceAll('&amp;', '&');

  it('sends nothing while nothing shown changes, then only the parts that did, with a poller that knows them', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const page = await (await client.get(`/rollouts/${rolloutId}`)).text();
    const poll = pollerUrl(page)!;
    expect(poll).toMatch(/\/live\?seen=[\w-]{8}(\.[\w-]{8}){5}$/);
    const same = await client.get(poll, htmx);
    expect([same.status, await same.text()]).toEqual([204, '']);

    const paused = await client.post(`/rollouts/${rolloutId}/actions`, { _csrf: await client.csrf(), action: 'pause', reason: 'INC-42' }, htmx);
    expect(paused.status).toBe(200);
    const changed = await client.get(poll, htmx);
    expect(changed.status).toBe(200);
    const delta = await changed.text();
    const parts = [...delta.matchAll(/<hx-partial hx-target="#live-(\w+)"/g)].map((m) => m[1]);
    // The pause shows in the summary's estimate, the banner and the buttons; the host tiles read the same.
    expect(parts).toEqual(expect.arrayContaining(['waiting', 'actions']));
    expect(parts).not.toContain('hosts');
    expect(delta).toContain('Paused in ring canary');
    const next = pollerUrl(delta)!;
    expect(next).not.toBe(poll);
    expect((await client.get(next, htmx)).status).toBe(204);
  });

  it('moves with the clock alone: with nothing written, a later poll gets the soak\'s countdown and the hosts\' "ago"', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const poll = pollerUrl(await (await client.get(`/rollouts/${rolloutId}`)).text())!;
    const version = (await store.loadRollout(rolloutId))!.seq;
    clock.now += 5_000;
    const later = await client.get(poll, htmx);
    expect(later.status).toBe(200);
    const delta = await later.text();
    expect([...delta.matchAll(/<hx-partial hx-target="#live-(\w+)"/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['rings', 'hosts']));
    expect((await store.loadRollout(rolloutId))!.seq).toBe(version);
  });

  it('shares what every viewer sees alike but never a user\'s name, CSRF token or buttons: two users of two roles, one moment, one version', async () => {
    const manager = new Client(server.url);
    await login(manager, 'alice');
    const viewer = new Client(server.url);
    await login(viewer, 'victor');
    const version = (await store.loadRollout(rolloutId))!.seq;
    // One after the other at the same moment of the clock: the later pages are made from what the first one worked out.
    const pages: string[] = [];
    for (const client of [manager, viewer, manager, viewer]) pages.push(await (await client.get(`/rollouts/${rolloutId}`)).text());
    const [managerPage, viewerPage, managerAgain, viewerAgain] = pages as [string, string, string, string];
    expect((await store.loadRollout(rolloutId))!.seq).toBe(version);
    expect([managerAgain, viewerAgain]).toEqual([managerPage, viewerPage]);

    const tokens = (page: string) => new Set([...page.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1]));
    const [managerToken] = [...tokens(managerPage)];
    const [viewerToken] = [...tokens(viewerPage)];
    expect(tokens(managerPage)).toEqual(new Set([managerToken]));
    expect(tokens(viewerPage)).toEqual(new Set([viewerToken]));
    expect(managerToken).not.toBe(viewerToken);
    expect(managerPage).toContain('<span class="user" data-role="release-manager">alice');
    expect(viewerPage).toContain('<span class="user" data-role="viewer">victor');
    expect(viewerPage).not.toContain('data-role="release-manager"');
    const part = (page: string, name: string) => {
      const start = page.indexOf(`<div class="live-part" id="live-${name}">`);
      return page.slice(start, page.indexOf('<div class="live-part"', start + 1));
    };
    expect(part(managerPage, 'actions')).toContain('value="pause"');
    expect(part(viewerPage, 'actions')).not.toContain('<button');
    expect(part(viewerPage, 'actions')).toContain('You are watching as a viewer');
    // What both see alike is one and the same markup.
    for (const name of ['summary', 'rings', 'chart']) expect(part(viewerPage, name)).toBe(part(managerPage, name));

    // The manager's poller, asked by the viewer: the viewer's own buttons part comes back, not the manager's.
    const answer = await viewer.get(pollerUrl(managerPage)!, htmx);
    expect(answer.status).toBe(200);
    const delta = await answer.text();
    expect([...delta.matchAll(/<hx-partial hx-target="#live-(\w+)"/g)].map((m) => m[1])).toEqual(['actions']);
    expect(delta).toContain('You are watching as a viewer');
    expect(delta).not.toContain(managerToken);
    expect((await manager.get(pollerUrl(managerPage)!, htmx)).status).toBe(204);
  });

  it('refuses a poll whose seen digests are not the poller\'s, naming the field', async () => {
    const client = new Client(server.url);
    await login(client, 'victor');
    const bad = await client.get(`/rollouts/${rolloutId}/live?seen=x.y`, htmx);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('seen: expected the 6 digests');
  });

  it('pages back through the timeline, with htmx or as plain pages, and refuses a sequence number out of range', async () => {
    let state = (await store.loadRollout(rolloutId))!.state;
    const client = new Client(server.url);
    await login(client, 'alice');
    for (let i = 0; state.audit.length < 120; i++) {
      const answer = await client.post(`/rollouts/${rolloutId}/actions`, { _csrf: await client.csrf(), action: i % 2 ? 'resume' : 'pause', reason: `command ${i}` }, htmx);
      expect(answer.status).toBe(200);
      state = (await store.loadRollout(rolloutId))!.state;
    }
    const total = state.audit.length;
    const ids = (markup: string) => [...markup.matchAll(/id="audit-(\d+)"/g)].map((m) => Number(m[1]));
    const page = await (await client.get(`/rollouts/${rolloutId}`)).text();
    expect(ids(page)).toEqual(Array.from({ length: 50 }, (_, i) => total - 1 - i));
    expect(page).toContain(`href="/rollouts/${encodeURIComponent(rolloutId)}/timeline?before=${total - 50}"`);

    const fragment = await (await client.get(`/rollouts/${rolloutId}/timeline?before=${total - 50}`, htmx)).text();
    expect(ids(fragment)).toEqual(Array.from({ length: 50 }, (_, i) => total - 51 - i));
    expect(fragment).not.toContain('<html');
    const plain = await (await client.get(`/rollouts/${rolloutId}/timeline?before=${total - 50}`)).text();
    expect(plain).toContain(`<h1>Decisions ${total - 99} to ${total - 50} of ${total}</h1>`);
    expect(ids(plain)).toEqual(ids(fragment));
    expect(plain).toContain(`?before=${total - 100}"`);

    for (const [query, message] of [
      [`before=${total + 1}`, `before: expected a sequence number from 1 to ${total}`],
      ['before=0', `before: expected a sequence number from 1 to ${total}`],
      ['before=-3', "before: expected a whole number (an entry's sequence number)"],
      ['after=1&before=2', 'give either after (new entries) or before (older entries), not both'],
    ] as const) {
      const refused = await client.get(`/rollouts/${rolloutId}/timeline?${query}`, htmx);
      expect([refused.status, await refused.text()]).toEqual([400, expect.stringContaining(message.replaceAll("'", '&#39;'))]);
    }
  });
});

describe('hardening', () => {
  it('refuses an oversized body with 413, declared or streamed', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const token = await client.csrf();
    const big = await client.post(`/rollouts/${rolloutId}/actions`, { _csrf: token, action: 'pause', reason: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`_csrf=${token}&action=pause&reason=`));
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(1024)));
        controller.close();
      },
    });
    const chunked = await client.request(`/rollouts/${rolloutId}/actions`, { method: 'POST', body: stream, headers: { 'content-type': 'application/x-www-form-urlencoded' }, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await store.loadRollout(rolloutId))?.seq).toBe(0);
  });

  it('refuses a body that is not a form with 415', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const res = await client.request(`/rollouts/${rolloutId}/actions`, { method: 'POST', body: JSON.stringify({ action: 'pause' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(415);
  });

  it('answers an unknown route with 404 and an unexpected failure with 500, neither with a stack trace', async () => {
    const client = new Client(server.url);
    await login(client, 'alice');
    const missing = await client.get('/no/such/page');
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toMatch(/\n\s+at /);
    expect((await client.get('/static/nothing.css')).status).toBe(404);
    store.listRollouts = async () => {
      throw new Error('disk on fire');
    };
    const failed = await client.get('/rollouts');
    expect(failed.status).toBe(500);
    const body = await failed.text();
    expect(body).toContain('the details are in its log');
    expect(body).not.toContain('disk on fire');
    expect(body).not.toMatch(/\n\s+at /);
    expect(logged.join('\n')).toMatch(/disk on fire\n\s+at /);
  });

  it('sends a Content-Security-Policy without inline script or eval', async () => {
    const res = await new Client(server.url).get('/login');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-(inline|eval)/);
    // Styles: this server's, and only the empty inline style (SHA-256 of "").
    expect(res.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-hashes' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves htmx from the installed package', async () => {
    const res = await new Client(server.url).get('/static/htmx.min.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('4.0.1');
  });
});

describe('lab runs', () => {
  function report(screenshot: string): LabReport {
    const check = { id: 'browser:web.browser.ts', kind: 'browser' as const, name: 'browser <web>', status: 'pass' as const, message: '', durationMs: 900, evidence: { screenshot } };
    return {
      runId: 'lab-1',
      image: { name: 'web', tag: 'patchlab/web:abc' },
      hostKind: 'container',
      startedAt: '2026-11-23T10:00:00.000Z',
      finishedAt: '2026-11-23T10:01:00.000Z',
      durationMs: 60_000,
      verdict: 'pass',
      reasons: ['1 check(s) pass on the patched host as on its unpatched twin'],
      patch: { request: ['tzdata'], packages: [{ name: 'tzdata', from: '2024a', to: '2025b', suite: 'bookworm-updates', security: false }], debs: [], downloadedBytes: 1000, reusedFiles: 0 },
      candidates: [],
      install: { ok: true, changes: [{ name: 'tzdata', before: '2024a', after: '2025b' }], output: 'Unpacking tzdata <2025b>', durationMs: 2000 },
      services: {},
      checks: [{ id: check.id, name: check.name, kind: 'browser', comparison: 'ok', baseline: check, patched: check }],
      timings: { install: 2000 },
      hosts: {},
    };
  }

  it('shows a run with its checks, logs and screenshots, serving only the files the report lists', async () => {
    const shot = join(dir, 'shot.png');
    writeFileSync(shot, PNG);
    await store.saveLabRun(report(shot));
    const client = new Client(server.url);
    await login(client, 'victor');
    const page = await (await client.get('/lab-runs/lab-1')).text();
    expect(page).toContain('browser &lt;web&gt;');
    expect(page).toContain('Unpacking tzdata &lt;2025b&gt;');
    expect(page).toContain('src="/lab-runs/lab-1/screenshots/0"');
    const image = await client.get('/lab-runs/lab-1/screenshots/1');
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PNG);
    expect((await client.get('/lab-runs/lab-1/screenshots/2')).status).toBe(404);
    expect((await client.get('/lab-runs/lab-1/screenshots/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    await store.saveLabRun(report('/etc/passwd'));
    expect((await client.get('/lab-runs/lab-1/screenshots/0')).status).toBe(404);
  });

  it('shows a VM run\'s reboots, and the console of a host that did not come back', async () => {
    await store.saveLabRun({
      ...report(join(dir, 'none.png')),
      runId: 'lab-vm',
      hostKind: 'vm',
      verdict: 'fail',
      reasons: ['the patched host did not come back from its reboot: VM stopped while booting'],
      reboot: { ok: false, detail: 'VM stopped while booting', durationMs: 9000, kernelBefore: '6.1.0-50-amd64', console: 'Kernel panic - not syncing: VFS: Unable to mount root fs <0,0>' },
    });
    const client = new Client(server.url);
    await login(client, 'victor');
    const page = await (await client.get('/lab-runs/lab-vm')).text();
    expect(page).toContain('VM hosts');
    expect(page).toMatch(/after the patch: <b>did not come back<\/b>: VM stopped while booting/);
    expect(page).toContain('Kernel panic - not syncing: VFS: Unable to mount root fs &lt;0,0&gt;');
  });
});

describe('users page', () => {
  it('is for admins only; an admin adds a user and is told what is wrong with bad input', async () => {
    const viewer = new Client(server.url);
    await login(viewer, 'alice');
    expect((await viewer.get('/users')).status).toBe(403);
    const admin = new Client(server.url);
    await login(admin, 'root');
    const token = await admin.csrf();
    const added = await admin.post('/users', { _csrf: token, name: 'carol', role: 'release-manager', password: 'a long enough password' });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain('Added carol as release-manager.');
    expect(users.getUser('carol')?.role).toBe('release-manager');
    const bad = await admin.post('/users', { _csrf: token, name: '<script>', role: 'viewer', password: 'a long enough password' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('&quot;&lt;script&gt;&quot;: a user name is');
    const self = await admin.post('/users/root/remove', { _csrf: token });
    expect(self.status).toBe(400);
    expect(users.getUser('root')).toBeDefined();
  });
});

describe('patches page', () => {
  it('discovers on request only, once at a time, and only for release managers', async () => {
    const viewer = new Client(server.url);
    await login(viewer, 'victor');
    expect(await (await viewer.get('/patches')).text()).toContain('not discovered since the server started');
    expect(discovered).toEqual([]);
    expect((await viewer.post('/patches/web/refresh', { _csrf: await viewer.csrf() })).status).toBe(403);
    const manager = new Client(server.url);
    await login(manager, 'alice');
    const token = await manager.csrf();
    expect((await manager.post('/patches/web/refresh', { _csrf: token }, { 'hx-request': 'true' })).status).toBe(200);
    const again = await manager.post('/patches/web/refresh', { _csrf: token }, { 'hx-request': 'true' });
    expect(await again.text()).toContain('discovering');
    expect((await manager.post('/patches/nope/refresh', { _csrf: token })).status).toBe(404);
    expect(discovered).toEqual(['web']);
    finishDiscovery();
    await vi.waitFor(async () => expect(await (await manager.get('/patches')).text()).toContain('data-package="tzdata"'));
    expect(await (await manager.get('/patches')).text()).toContain('severity-medium');
  });
});
