import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ageWaitFor, waitingUntil, type UpdateAge } from '../../rollout/engine/age-wait.ts';
import { availableActions, overrideAge } from '../../rollout/engine/commands.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { RolloutError } from '../../rollout/engine/state.ts';
import { waitLines } from '../../rollout/drive/live-view.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { whatWaits } from '../../web/model/waiting.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { waitingBanner } from '../../web/views/waiting-banner.ts';
import { rolloutActions } from '../../web/views/rollout-actions.ts';
import { sightingsOfScan, sightingsOfScheduleRun } from '../../lab/sightings/sightings-of.ts';
import { fleetOf, MINUTE, modelLab, T0, tick } from './rollout-harness.ts';
import { WEB_RINGS } from './web-fixtures.ts';

const DAY = 86_400_000;
const update = fc.record({
  name: fc.constantFrom('tzdata', 'openssl', 'perl-base', 'libc6'),
  version: fc.constantFrom('1.0-1', '1.0-2', '2.0-1'),
  firstSeenAt: fc.integer({ min: T0 - 30 * DAY, max: T0 }),
});

describe('the age of updates', () => {
  it('waits exactly until the youngest update is old enough, and not at all once every one is', () => {
    fc.assert(
      fc.property(fc.array(update, { maxLength: 8 }), fc.integer({ min: 0, max: 20 * DAY }), (updates, minimumAgeMs) => {
        const wait = ageWaitFor(updates, minimumAgeMs, T0);
        const oldEnoughAt = Math.max(T0, ...updates.map((u) => u.firstSeenAt + minimumAgeMs));
        if (minimumAgeMs === 0 || oldEnoughAt === T0) {
          expect(wait).toBeNull();
          return;
        }
        expect(wait?.until).toBe(oldEnoughAt);
        // Every update named as young is young, and every young one is named.
        expect(new Set(wait!.young)).toEqual(new Set(updates.filter((u) => u.firstSeenAt + minimumAgeMs > T0)));
        expect(waitingUntil(wait, oldEnoughAt - 1)).toBe(oldEnoughAt);
        expect(waitingUntil(wait, oldEnoughAt)).toBeNull();
        expect(waitingUntil({ ...wait!, override: { by: 'root', at: T0, reason: 'x' } }, T0)).toBeNull();
      }),
    );
  });

  it('patches no host before the date, then goes on by itself; the engine says until when and why', () => {
    const young: UpdateAge[] = [{ name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: T0 - DAY }];
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 30, max: 240 }), (days, stepMinutes) => {
        const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
        lab.state = { ...lab.state, ageWait: ageWaitFor(young, days * DAY, T0) };
        const until = T0 + (days - 1) * DAY;
        for (let i = 0; i < 2000 && lab.now + stepMinutes * MINUTE < until; i++) {
          const decision = tick(lab, STANDARD_POLICY, stepMinutes * MINUTE);
          expect(decision.action).toBe('hold');
          expect(decision.figures.waitUntil).toBe(until);
        }
        expect(lab.state.hosts.every((h) => h.phase === 'pending')).toBe(true);
        expect(lab.state.audit).toEqual([]);
        lab.now = until - stepMinutes * MINUTE;
        expect(tick(lab, STANDARD_POLICY, stepMinutes * MINUTE).action).toBe('patch-hosts');
      }),
      { numRuns: 20 },
    );
    const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    lab.state = { ...lab.state, ageWait: ageWaitFor(young, 3 * DAY, T0) };
    expect(tick(lab, STANDARD_POLICY, MINUTE).reasons).toEqual([
      'waiting until 2025-01-16T09:00:00.000Z: the minimum age is 3 d and 1 update is younger: tzdata 2026a-0+deb12u1 (first seen 2025-01-13T09:00:00.000Z)',
      'no host is patched before then, unless an admin overrides the wait with a reason',
    ]);
  });

  it('an override lets the first hosts be patched at once, with who and why in the audit log; given twice it changes nothing', () => {
    const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    lab.state = { ...lab.state, ageWait: ageWaitFor([{ name: 'openssl', version: '3.0.17-1~deb12u3', firstSeenAt: T0 }], 7 * DAY, T0) };
    expect(availableActions(lab.state)['override-age']).toBe(true);
    expect(waitLines(lab.state, lab.now)).toContain(`an admin overrides it with: patchlab rollout override-age ${lab.state.id} --reason <why>`);
    expect(() => overrideAge(lab.state, { actor: 'root', reason: ' ' }, lab.now)).toThrow(RolloutError);
    const overridden = overrideAge(lab.state, { actor: 'root', reason: 'CVE-2026-1234 is exploited in the wild' }, lab.now);
    expect(overrideAge(overridden, { actor: 'root', reason: 'again' }, lab.now + 1)).toBe(overridden);
    expect(overridden.audit.at(-1)).toEqual({
      at: T0, actor: 'root', action: 'override-age', ring: 0, reasons: ['CVE-2026-1234 is exploited in the wild'], figures: { waitUntil: T0 + 7 * DAY, minimumAgeMs: 7 * DAY, youngUpdates: 1 }, hosts: [],
    });
    expect(availableActions(overridden)['override-age']).toBe(false);
    expect(waitLines(overridden, lab.now)).toEqual([`minimum age overridden by root at ${new Date(T0).toISOString()}: CVE-2026-1234 is exploited in the wild`]);
    lab.state = overridden;
    expect(tick(lab, STANDARD_POLICY, MINUTE).action).toBe('patch-hosts');
    const fresh = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    expect(() => overrideAge(fresh.state, { actor: 'root', reason: 'x' }, T0)).toThrow(/does not wait for a minimum age/);
  });

  it('the page says until when, and offers the override to an admin only', () => {
    const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    lab.state = { ...lab.state, ageWait: ageWaitFor([{ name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: T0 - DAY }], 3 * DAY, T0) };
    const banner = waitingBanner(whatWaits(lab.state, T0), [], T0).value;
    expect(banner).toContain('Waiting for the minimum age until <time datetime="2025-01-16T09:00:00.000Z">2025-01-16 09:00 UTC</time>');
    expect(banner).toContain('(in 2 d)');
    expect(whatWaits(lab.state, T0 + 2 * DAY)).toBeNull();
    const form = (role: 'admin' | 'release-manager') => rolloutActions(lab.state, { name: 'x', role, csrfToken: 't' }).value;
    expect(form('admin')).toContain('value="override-age"');
    expect(form('release-manager')).not.toContain('override-age');
  });
});

describe('what a scheduled run or a scan saw', () => {
  it('is every pending update at its candidate version, when it was seen, and by what; a failed scan saw nothing', () => {
    const image = { verdict: 'pass' as const, newlyUpgradable: [], patches: [], checks: [] };
    const run = { schedule: 'nightly', startedAt: T0, slotAt: T0, coalesced: false, finishedAt: T0 + MINUTE, images: [
      { ...image, image: 'web', upgradable: ['tzdata=2026a-0+deb12u1', 'libssl3=3.0.17-1~deb12u3'] },
      { ...image, image: 'db', upgradable: ['tzdata=2026a-0+deb12u1'] },
    ] };
    expect(sightingsOfScheduleRun(run)).toEqual({
      updates: [{ name: 'tzdata', version: '2026a-0+deb12u1' }, { name: 'libssl3', version: '3.0.17-1~deb12u3' }, { name: 'tzdata', version: '2026a-0+deb12u1' }],
      at: T0,
      seenBy: 'schedule nightly',
    });
    const pending = [{ name: 'perl-base', installed: '5.36.0-7+deb12u2', candidate: '5.36.0-7+deb12u3', suite: 'bookworm-security', origin: 'Debian', security: true }];
    const scan = { host: 'web-01', scannedAt: new Date(T0).toISOString(), pending } as unknown as Parameters<typeof sightingsOfScan>[0];
    expect(sightingsOfScan(scan)).toEqual({ updates: [{ name: 'perl-base', version: '5.36.0-7+deb12u3' }], at: T0, seenBy: 'scan of web-01' });
    expect(sightingsOfScan({ ...scan, error: { reason: 'unreachable', message: 'ssh: connection refused' } } as typeof scan).updates).toEqual([]);
  });
});

describe('override-age over the API', () => {
  const PASSWORD = 'correct horse battery';
  let store: Store;
  let users: UserStore;
  let server: RunningServer;
  let id: string;

  beforeEach(async () => {
    store = openStore(':memory:');
    users = UserStore.open(':memory:', { cost: { N: 1024, r: 8, p: 1 }, now: () => T0 });
    const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
    const state = { ...lab.state, ageWait: ageWaitFor([{ name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: T0 - DAY }], 3 * DAY, T0) };
    id = state.id;
    await store.createRollout({ state, scenario: 'scenarios/demo.yaml', policy: STANDARD_POLICY, meta: { policyChoice: { policy: 'standard', by: 'severity', severity: 'high', text: 'policy standard, from the severity high (no policy rules given)' } } });
    await users.addUser('alice', 'release-manager', PASSWORD);
    await users.addUser('root', 'admin', PASSWORD);
    server = await listen(createApp({ store, users, now: () => T0, log: () => undefined }), { host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await server.close();
    await store.close();
    users.close();
  });

  const call = (who: string, path: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${users.tokens.create(who, 't').secret}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('shows the wait with its date and the policy choice; refuses a release manager; an admin override lands in the audit log', async () => {
    const before = await (await call('alice', `/rollouts/${id}`)).json();
    expect(before).toMatchObject({ waitingUntil: '2025-01-16T09:00:00.000Z', policyChoice: { text: 'policy standard, from the severity high (no policy rules given)' }, actions: { 'override-age': true } });
    const refused = await call('alice', `/rollouts/${id}/commands`, { name: 'override-age', reason: 'hurry' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'override-age needs the admin role; alice is a release manager' });
    const done = await call('root', `/rollouts/${id}/commands`, { name: 'override-age', reason: 'exploited in the wild' });
    expect(done.status).toBe(200);
    const after = await done.json();
    expect(after.waitingUntil).toBeNull();
    expect(after.audit.at(-1)).toMatchObject({ actor: 'root', action: 'override-age', reasons: ['exploited in the wild'] });
  });
});
