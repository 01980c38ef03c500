import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giveCommand } from '../../rollout/drive/control.ts';
import { healthSamplesOf } from '../../rollout/engine/health-samples.ts';
import type { Observation } from '../../rollout/engine/observations.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';
import { CHECK } from '../unit/rollout-harness.ts';
import { Client, login } from '../unit/web-client.ts';
import { driveModel, storeSnapshot, WEB_POLICY } from '../unit/web-fixtures.ts';

/*
 * The rollout page keeps what it read and worked out between requests (the parsed rollout by its
 * stored version, the view and the parts every viewer sees alike for a second of the clock). Whatever
 * happens between two looks (commands, check rounds, health samples, a driver's lease taken or
 * given back, the clock moving on in whole seconds), a server that kept all that must answer
 * exactly what a server that starts afresh answers at the same moment: the page, the whole live
 * part and the poll, for a release manager and a viewer.
 */

const PASSWORD = 'correct horse battery staple';
let dir: string;
let store: Store;
let users: UserStore;
let clock: { now: number };
let kept: RunningServer;
const clients: { kept: Client; name: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-page-cache-property-'));
  store = openStore(join(dir, 'patchlab.db'));
  users = UserStore.open(join(dir, 'users.db'), { cost: { N: 1024, r: 8, p: 1 } });
  await users.addUser('alice', 'release-manager', PASSWORD);
  await users.addUser('victor', 'viewer', PASSWORD);
  const snapshot = driveModel((lab) => lab.state.ring === 1 && lab.state.hosts.some((h) => h.phase === 'patching'), { maxTicks: 400 });
  await storeSnapshot(store, snapshot, 'scenarios/demo.yaml', 'rollout-cached');
  clock = { now: Math.ceil(snapshot.lab.now / 1000) * 1000 };
  kept = await listen(createApp({ store, users, now: () => clock.now, log: () => undefined }), { host: '127.0.0.1', port: 0 });
  for (const name of ['alice', 'victor']) {
    const client = new Client(kept.url);
    await login(client, name, PASSWORD);
    clients.push({ kept: client, name });
  }
});

afterAll(async () => {
  await kept?.close();
  await store?.close();
  users?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Step =
  | { kind: 'command'; name: 'pause' | 'resume' }
  | { kind: 'checks'; failing: number[] }
  | { kind: 'lease'; take: boolean }
  | { kind: 'tick'; seconds: number }
  | { kind: 'look'; who: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('command' as const), name: fc.constantFrom('pause' as const, 'resume' as const) }),
  fc.record({ kind: fc.constant('checks' as const), failing: fc.array(fc.nat({ max: 7 }), { maxLength: 2 }) }),
  fc.record({ kind: fc.constant('lease' as const), take: fc.boolean() }),
  fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 90 }) }),
  // Looks often, so that most steps come between two looks at the same second.
  { arbitrary: fc.record({ kind: fc.constant('look' as const), who: fc.integer({ min: 0, max: 1 }) }), weight: 4 },
);

let lease: Awaited<ReturnType<Store['claimLease']>> | null = null;

async function apply(s: Step): Promise<void> {
  const id = 'rollout-cached';
  if (s.kind === 'command') await giveCommand(store, id, { name: s.name, actor: 'bob', reason: `step at ${clock.now}` }, () => clock.now).catch(() => undefined);
  if (s.kind === 'checks') {
    const { state } = (await store.loadRollout(id))!;
    const observations: Observation[] = state.hosts.map((h, i) => ({
      hostId: h.id,
      at: clock.now,
      version: h.version,
      checks: [{ id: CHECK, status: s.failing.includes(i) ? 'fail' : 'pass', metrics: { latencyMs: 100 + i } }],
    }));
    await store.recordObservations(id, observations);
    for (const sample of healthSamplesOf(state, observations, clock.now, WEB_POLICY)) await store.recordHealthSample(id, sample);
  }
  if (s.kind === 'lease') {
    if (lease) await store.releaseLease(lease);
    lease = s.take ? await store.claimLease(id, `coordinator-${clock.now % 7}:4242:1`, clock.now, 3_600_000) : null;
  }
  if (s.kind === 'tick') clock.now += s.seconds * 1000;
}

const pollerOf = (page: string) => /id="live-poller" hidden hx-get="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');

/** What a server answers a client with the cookies `from` holds: the page, the whole live part, and the poll of the page as it was shown at the previous look. */
async function answers(url: string, from: Client, shownBefore: string | undefined): Promise<string[]> {
  const client = new Client(url);
  for (const [name, value] of from.cookies) client.cookies.set(name, value);
  const htmx = { 'hx-request': 'true' };
  const page = await (await client.get('/rollouts/rollout-cached')).text();
  const live = await (await client.get('/rollouts/rollout-cached/live', htmx)).text();
  const poller = shownBefore ?? pollerOf(page);
  const poll = poller ? await client.get(poller, htmx) : null;
  return [page, live, poll ? `${poll.status} ${await poll.text()}` : 'no poller'];
}

describe('the rollout page from what a server kept', () => {
  it('answers what a server that starts afresh answers at the same moment, whatever happened between looks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const shown: (string | undefined)[] = [undefined, undefined];
        for (const s of steps) {
          await apply(s);
          if (s.kind !== 'look') continue;
          const { kept: client } = clients[s.who]!;
          const fresh = await listen(createApp({ store, users, now: () => clock.now, log: () => undefined }), { host: '127.0.0.1', port: 0 });
          try {
            const fromKept = await answers(kept.url, client, shown[s.who]);
            expect(await answers(fresh.url, client, shown[s.who])).toEqual(fromKept);
            shown[s.who] = pollerOf(fromKept[0]!);
          } finally {
            await fresh.close();
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
