import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { foldObservations } from '../../rollout/engine/observation-fold.ts';
import { indexObservations, type Observation } from '../../rollout/engine/observations.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { ObservationCache } from '../../web/model/observation-cache.ts';
import { rolloutView } from '../../web/model/rollout-view.ts';
import { MINUTE } from '../unit/rollout-harness.ts';
import { driveModel, storeSnapshot, WEB_POLICY } from '../unit/web-fixtures.ts';

/*
 * The rollout page keeps each rollout's observations indexed and reads only those stored since
 * its last request. Whatever arrives (out of time order, equal times, skipped and failing checks,
 * on target or not), in whatever batches and with whatever reads in between, the page must show
 * what it showed when it read the whole history on every request.
 */

const dir = mkdtempSync(join(tmpdir(), 'patchlab-observation-cache-'));
const store = openStore(join(dir, 'patchlab.db'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

// Rollouts the real engine reached: canary soaking, and broad being patched with failures about.
const snapshots = [
  driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null),
  driveModel((lab) => lab.state.ring === 2 && lab.state.hosts.some((h) => h.phase === 'patching'), { hosts: 10, maxTicks: 400 }),
];

const check = fc.record({ id: fc.constantFrom('http', 'port', 'service'), status: fc.constantFrom('pass', 'pass', 'fail', 'error', 'skip') as fc.Arbitrary<'pass' | 'fail' | 'error' | 'skip'> });
const arrival = fc.record({
  host: fc.nat(),
  // Whole minutes around the snapshot's clock: equal times and late arrivals both happen.
  minutes: fc.integer({ min: -45, max: 45 }),
  onTarget: fc.boolean(),
  checks: fc.array(check, { maxLength: 3 }),
});
const batch = fc.record({ arrivals: fc.array(arrival, { maxLength: 12 }), read: fc.constantFrom('none', 'one', 'two at once') });

let rollouts = 0;

describe('the rollout page\'s observation cache', () => {
  it('shows the same hosts, last checks and ring health as a read of the whole history, batch after batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: snapshots.length - 1 }), fc.array(batch, { minLength: 1, maxLength: 8 }), fc.integer({ min: -10, max: 60 }), async (which, batches, nowMinutes) => {
        const snapshot = snapshots[which]!;
        const { state } = snapshot.lab;
        const id = await storeSnapshot(store, snapshot, 'scenarios/demo.yaml', `cache-${++rollouts}`);
        const cache = new ObservationCache(store);
        const now = snapshot.lab.now + nowMinutes * MINUTE;
        const agree = async (cached: ReadonlyMap<string, readonly Observation[]>) => {
          const whole = await store.observations(id);
          expect(cached).toEqual(indexObservations(whole));
          expect(rolloutView(state, WEB_POLICY, cached, now)).toEqual(rolloutView(state, WEB_POLICY, whole, now));
        };
        for (const { arrivals, read } of batches) {
          const observations: Observation[] = arrivals.map((a) => {
            const host = state.hosts[a.host % state.hosts.length]!;
            return { hostId: host.id, at: snapshot.lab.now + a.minutes * MINUTE, version: a.onTarget ? state.patch.version : host.baseVersion, checks: a.checks };
          });
          await store.recordObservations(id, observations);
          if (read === 'one') await agree(await cache.index(id));
          if (read === 'two at once') {
            // Two polls at the same moment must not both add the same rows.
            const [first, second] = await Promise.all([cache.index(id), cache.index(id)]);
            expect(second).toEqual(first);
            await agree(second);
          }
        }
        await agree(await cache.index(id));
      }),
      { numRuns: 60, seed: 20261123 },
    );
  });

  it('folding leaves the index it was given as it was', () => {
    fc.assert(
      fc.property(fc.array(arrival, { maxLength: 30 }), fc.nat({ max: 30 }), (arrivals, cut) => {
        const all: Observation[] = arrivals.map((a) => ({ hostId: `h${a.host % 4}`, at: a.minutes, version: 'v', checks: a.checks }));
        const before = foldObservations(new Map(), all.slice(0, cut));
        const copy = new Map([...before].map(([host, list]) => [host, [...list]]));
        const after = foldObservations(before, all.slice(cut));
        expect(before).toEqual(copy);
        expect(after).toEqual(indexObservations(all));
      }),
      { seed: 20261123 },
    );
  });
});
