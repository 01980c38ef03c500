import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { HealthSample } from '../../rollout/engine/health-samples.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { HealthSampleCache } from '../../web/model/health-sample-cache.ts';
import { healthChart } from '../../web/views/health-chart.ts';
import { MINUTE } from '../unit/rollout-harness.ts';
import { driveModel, storeSnapshot } from '../unit/web-fixtures.ts';

/*
 * The rollout page keeps each rollout's health samples and reads only those stored since its
 * last request. Whatever arrives (out of time order, equal times), in whatever batches and with
 * whatever reads in between, the page must get the list, and draw the chart, that a read of
 * every sample gives.
 */

const dir = mkdtempSync(join(tmpdir(), 'patchlab-health-cache-'));
const store = openStore(join(dir, 'patchlab.db'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const snapshot = driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);
const rings = snapshot.lab.state.rings.map((r) => r.name);

const sample = fc.record({
  minutes: fc.integer({ min: -30, max: 30 }),
  ring: fc.constantFrom(...rings),
  passRate: fc.option(fc.integer({ min: 0, max: 20 }).map((k) => k / 20), { nil: null }),
  failed: fc.integer({ min: 0, max: 3 }),
  budget: fc.integer({ min: 0, max: 3 }),
  latencyP50: fc.option(fc.integer({ min: 50, max: 300 }), { nil: null }),
});
const batch = fc.record({ samples: fc.array(sample, { maxLength: 6 }), read: fc.constantFrom('none', 'one', 'two at once') });

let rollouts = 0;

describe("the rollout page's health sample cache", () => {
  it('gives the samples and the chart a read of every sample gives, batch after batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 8 }), async (batches) => {
        const id = await storeSnapshot(store, snapshot, 'scenarios/demo.yaml', `health-${++rollouts}`);
        const cache = new HealthSampleCache(store);
        const agree = async (cached: readonly HealthSample[]) => {
          const whole = await store.healthSamples(id);
          expect(cached).toEqual(whole);
          expect(healthChart(cached, rings).value).toBe(healthChart(whole, rings).value);
        };
        for (const { samples, read } of batches) {
          for (const s of samples) {
            const { minutes, ...rest } = s;
            await store.recordHealthSample(id, { ...rest, at: snapshot.lab.now + minutes * MINUTE });
          }
          if (read === 'one') await agree(await cache.samples(id));
          if (read === 'two at once') {
            // Two polls at the same moment must not both add the same rows.
            const [first, second] = await Promise.all([cache.samples(id), cache.samples(id)]);
            expect(second).toEqual(first);
            await agree(second);
          }
        }
        const last = await cache.samples(id);
        await agree(last);
        // Nothing new: the very same list, so the chart drawn from it is reused.
        expect(await cache.samples(id)).toBe(last);
      }),
      { numRuns: 50, seed: 20261207 },
    );
  });
});
