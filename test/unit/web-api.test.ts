import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { sampleReport } from '../fixtures/store/samples.ts';
import { driveModel, storeSnapshot, WEB_POLICY } from './web-fixtures.ts';

/*
 * The JSON API over real HTTP: tokens made by the user store, the real app and SQLite store in
 * memory, a rollout made by the real engine. Every route, the roles, and the audit log.
 */

const PASSWORD = 'correct horse battery';
let store: Store;
let users: UserStore;
let server: RunningServer;
let rolloutId: string;
let tokens: { manager: string; viewer: string };

beforeEach(async () => {
  store = openStore(':memory:');
  const snapshot = driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);
  users = UserStore.open(':memory:', { cost: { N: 1024, r: 8, p: 1 }, now: () => snapshot.lab.now });
  rolloutId = await storeSnapshot(store, snapshot);
  await store.saveLabRun(sampleReport('run-1', 'web', '2026-12-08T10:00:00.000Z', 'fail'));
  await users.addUser('alice', 'release-manager', PASSWORD);
  await users.addUser('victor', 'viewer', PASSWORD);
  tokens = { manager: users.tokens.create('alice', 'ci').secret, viewer: users.tokens.create('victor', 'dashboard').secret };
  const app = createApp({ store, users, now: () => snapshot.lab.now, log: () => undefined });
  server = await listen(app, { host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await server.close();
  await store.close();
  users.close();
});

function api(path: string, token: string | null, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${server.url}/api/v1${path}`, { ...init, headers });
}

const command = (body: unknown, token: string) =>
  api(`/rollouts/${rolloutId}/commands`, token, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('the JSON API', () => {
  it('reads rollouts, one rollout with its rings, hosts, actions and audit, lab runs and schedules', async () => {
    const list = await (await api('/rollouts', tokens.viewer)).json();
    expect(list.rollouts.map((r: { id: string }) => r.id)).toEqual([rolloutId]);
    expect(list.rollouts[0]).toMatchObject({ phase: 'running', status: 'running', waitingUntil: null });
    // A rollout from before policy choices: no policy named, its severity says what applied.
    expect(list.rollouts[0]).toMatchObject({ policy: null, policyChoice: null, policyLabel: list.rollouts[0].patch.severity });
    // A rollout whose update is younger than the minimum age: waiting, until when, not "running".
    const { state } = (await store.loadRollout(rolloutId))!;
    const until = state.createdAt + 3 * 86_400_000;
    await store.createRollout({ state: { ...state, id: 'rollout-young', createdAt: state.createdAt + 1, ageWait: { until, minimumAgeMs: 7 * 86_400_000, young: [], override: null } }, scenario: 's.yaml', policy: WEB_POLICY });
    const byRule = { policy: 'critical-security', by: 'rule', rule: 'urgent-or-cve', rulesFrom: 'patchlab.yaml', text: "policy critical-security, picked by rule 'urgent-or-cve' (urgency high)" };
    await store.createRollout({ state: { ...state, id: 'rollout-ruled', createdAt: state.createdAt + 2 }, scenario: 's.yaml', policy: WEB_POLICY, meta: { policyChoice: byRule } });
    const [ruled, young] = (await (await api('/rollouts', tokens.viewer)).json()).rollouts;
    expect(young).toMatchObject({ id: 'rollout-young', phase: 'running', status: 'waiting-for-age', waitingUntil: new Date(until).toISOString() });
    expect(ruled).toMatchObject({ id: 'rollout-ruled', policy: 'critical-security', policyLabel: "critical-security policy (rule 'urgent-or-cve' of patchlab.yaml)", policyChoice: byRule });
    const one = await (await api(`/rollouts/${rolloutId}`, tokens.viewer)).json();
    expect(one).toMatchObject({ id: rolloutId, phase: 'running', ring: 'canary', actions: { pause: true, rollback: true } });
    expect(one.rings.map((r: { name: string }) => r.name)).toEqual(['canary', 'pilot', 'broad']);
    expect(one.hosts).toHaveLength(8);
    expect(one.audit[0]).toMatchObject({ actor: 'engine', action: 'patch-hosts', ring: 'canary' });
    const runs = await (await api('/lab-runs?image=web&limit=5', tokens.viewer)).json();
    expect(runs.labRuns).toEqual([expect.objectContaining({ runId: 'run-1', verdict: 'fail' })]);
    expect((await (await api('/lab-runs/run-1', tokens.viewer)).json()).verdict).toBe('fail');
    expect(await (await api('/schedules', tokens.viewer)).json()).toEqual({ schedules: [] });
    expect(await (await api('/hosts', tokens.viewer)).json()).toEqual({ hosts: [] });
  });

  it('gives a command with the same rules and audit as the page, under the token user\'s name', async () => {
    const res = await command({ name: 'pause', reason: 'CAB asked to wait' }, tokens.manager);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.phase).toBe('paused');
    expect(body.audit.at(-1)).toMatchObject({ actor: 'alice', action: 'pause', reasons: ['CAB asked to wait'] });
    // Idempotent: a retried request changes nothing more.
    expect((await (await command({ name: 'pause', reason: 'again' }, tokens.manager)).json()).audit).toHaveLength(body.audit.length);
    expect((await store.transitions(rolloutId)).at(-1)).toMatchObject({ actor: 'alice', kind: 'command' });
  });

  it('refuses a viewer token, a missing or revoked token, a bad body and a command the state does not allow', async () => {
    const viewer = await command({ name: 'rollback', reason: 'I think it broke' }, tokens.viewer);
    expect([viewer.status, (await viewer.json()).error]).toEqual([403, 'this needs the release manager role; victor is a viewer']);
    expect((await api('/rollouts', null)).status).toBe(401);
    const [revoked] = users.tokens.list('alice');
    users.tokens.revoke(revoked!.id);
    expect((await api('/rollouts', tokens.manager)).status).toBe(401);
    const fresh = users.tokens.create('alice', 'second').secret;
    const bad = await command({ name: 'promote', reason: 'go' }, fresh);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/ring/);
    const form = await api(`/rollouts/${rolloutId}/commands`, fresh, { method: 'POST', body: 'name=pause', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const refused = await command({ name: 'approve', ring: 'canary', reason: 'looks fine' }, fresh);
    expect([refused.status, (await refused.json()).error]).toEqual([409, 'ring canary does not need approval']);
    expect((await api('/rollouts/nope', fresh)).status).toBe(404);
    expect((await store.loadRollout(rolloutId))!.state.phase).toBe('running');
  });

  it('serves its OpenAPI document, whose command schema is the one the route checks', async () => {
    const doc = await (await api('/openapi.json', null)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/rollouts', '/rollouts/{id}/commands', '/lab-runs', '/schedules', '/hosts']));
    expect(JSON.stringify(doc.components.schemas.Command)).toContain('"approve"');
  });

  it('keeps only a hash of each token, and removes a user\'s tokens with the user', async () => {
    expect(JSON.stringify(users.tokens.list())).not.toContain(tokens.manager);
    users.removeUser('victor');
    expect(users.tokens.list('victor')).toEqual([]);
    expect((await api('/rollouts', tokens.viewer)).status).toBe(401);
  });
});

describe('holds over the API', () => {
  const post = (path: string, body: unknown, token: string) => api(path, token, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('holds and lifts a package under the token user\'s name, recorded with the reason; a viewer may only read', async () => {
    const held = await post('/holds', { package: 'linux-image-*', reason: 'kernel goes in the March window' }, tokens.manager);
    expect(held.status).toBe(201);
    expect((await held.json()).holds).toEqual([expect.objectContaining({ pattern: 'linux-image-*', by: 'alice', source: 'store' })]);
    expect((await post('/holds', { package: 'tzdata', reason: 'mine' }, tokens.viewer)).status).toBe(403);
    expect((await post('/holds', { package: 'Not A Package!', reason: 'x' }, tokens.manager)).status).toBe(400);
    const lifted = await post(`/holds/${encodeURIComponent('linux-image-*')}/lift`, { reason: 'window open' }, tokens.manager);
    expect((await lifted.json()).holds).toEqual([]);
    expect((await post('/holds/tzdata/lift', { reason: 'x' }, tokens.manager)).status).toBe(404);
    const read = await (await api('/holds', tokens.viewer)).json();
    expect(read.log.map((e: { action: string; by: string }) => `${e.action} ${e.by}`)).toEqual(['hold alice', 'lift alice']);
  });
});

describe('holds on the patches page', () => {
  const form = (path: string, fields: Record<string, string>, user: string) => {
    const { token, session } = users.createSession(user);
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `patchlab_session=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: session.csrfToken, ...fields }),
    });
  };
  const page = async (user: string) => {
    const { token } = users.createSession(user);
    return (await fetch(`${server.url}/patches`, { headers: { cookie: `patchlab_session=${token}` } })).text();
  };

  it('lets a release manager hold and lift a package with a reason, shown with who and why; a viewer sees it but cannot change it', async () => {
    expect((await form('/holds', { package: 'linux-image-*', reason: 'kernel in the <March> window' }, 'alice')).status).toBe(303);
    const shown = await page('victor');
    expect(shown).toContain('<tr data-hold="linux-image-*"><td><b>linux-image-*</b></td><td>alice</td>');
    expect(shown).toContain('kernel in the &lt;March&gt; window');
    expect(shown).not.toContain('action="/holds/lift"');
    expect((await form('/holds', { package: 'tzdata', reason: 'mine' }, 'victor')).status).toBe(403);
    expect((await form('/holds', { package: 'tzdata', reason: '' }, 'alice')).status).toBe(400);
    expect((await form('/holds/lift', { package: 'linux-image-*', reason: 'window open' }, 'alice')).status).toBe(303);
    expect(await page('alice')).toContain('Nothing is held.');
    expect((await store.holdEvents()).map((e) => `${e.action} ${e.pattern} ${e.by}: ${e.reason}`)).toEqual(['hold linux-image-* alice: kernel in the <March> window', 'lift linux-image-* alice: window open']);
  });
});

describe('a POST from a page of another site', () => {
  it('is refused even with a valid session and token; the same POST from the page itself goes through', async () => {
    const { token, session } = users.createSession('alice');
    const post = (origin: string) =>
      fetch(`${server.url}/rollouts/${rolloutId}/actions`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin, cookie: `patchlab_session=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: session.csrfToken, action: 'pause', reason: 'from elsewhere' }),
      });
    expect((await post('http://evil.example')).status).toBe(403);
    expect((await store.loadRollout(rolloutId))!.state.phase).toBe('running');
    expect((await post(server.url)).status).toBe(303);
    expect((await store.loadRollout(rolloutId))!.state.phase).toBe('paused');
  });
});
