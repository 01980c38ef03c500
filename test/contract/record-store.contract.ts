import { describe, expect, it } from 'vitest';
import { freshEach, type StoreHarness, type TestDatabase } from './harness.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { LabRunStore } from '../../lab/store/lab-run-store.ts';
import type { RolloutStore } from '../../rollout/store/rollout-store.ts';
import { sampleReport, sampleState, T0 } from '../fixtures/store/samples.ts';

type Store = RolloutStore & LabRunStore & { close(): Promise<void> };

/** Observations, health samples and lab runs: what every implementation keeps and gives back. */
export function recordStoreContract(harness: StoreHarness<Store>): void {
  let store: Store;
  let db: TestDatabase<Store>;

  freshEach(
    harness,
    (s, d) => {
      store = s;
      db = d;
    },
    () => store,
  );

  describe('observations', () => {
    it('gives back the check results a runner judged by, oldest first, so a restart decides from the same evidence', async () => {
      await store.createRollout({ state: sampleState('rollout-1'), scenario: 's.yaml', policy: STANDARD_POLICY });
      const late = { hostId: 'web-02', at: T0 + 2000, version: '2', checks: [{ id: 'http:/', status: 'fail' as const, metrics: { latencyMs: 210.5 } }] };
      const early = { hostId: 'web-01', at: T0 + 1000, version: '1', checks: [{ id: 'http:/', status: 'pass' as const }] };
      await store.recordObservations('rollout-1', [late, early]);
      expect(await store.observations('rollout-1')).toEqual([early, late]);
      expect(await store.observations('rollout-1', { sinceAt: T0 + 1500 })).toEqual([late]);
    });

    it('gives a reader only what was stored after the last id it saw, in the order stored, and nothing of another rollout', async () => {
      await store.createRollout({ state: sampleState('rollout-1'), scenario: 's.yaml', policy: STANDARD_POLICY });
      await store.createRollout({ state: sampleState('rollout-2'), scenario: 's.yaml', policy: STANDARD_POLICY });
      const first = { hostId: 'web-01', at: T0 + 5000, version: '1', checks: [{ id: 'http:/', status: 'pass' as const }] };
      const other = { hostId: 'web-09', at: T0, version: '1', checks: [] };
      const late = { hostId: 'web-02', at: T0 + 1000, version: '1', checks: [{ id: 'http:/', status: 'fail' as const }] };
      await store.recordObservations('rollout-1', [first]);
      await store.recordObservations('rollout-2', [other]);
      const seen = await store.observationsSince('rollout-1', 0);
      expect(seen.map(({ id: _, ...o }) => o)).toEqual([first]);
      await store.recordObservations('rollout-1', [late]);
      // Taken earlier than the one already seen, stored later: a reader by time would miss it.
      const news = await store.observationsSince('rollout-1', seen[0]!.id);
      expect(news.map(({ id: _, ...o }) => o)).toEqual([late]);
      expect(news[0]!.id).toBeGreaterThan(seen[0]!.id);
      expect(await store.observationsSince('rollout-1', news[0]!.id)).toEqual([]);
    });

    it('gives a reader of health samples only those stored after the last id it saw, and nothing of another rollout', async () => {
      await store.createRollout({ state: sampleState('rollout-1'), scenario: 's.yaml', policy: STANDARD_POLICY });
      await store.createRollout({ state: sampleState('rollout-2'), scenario: 's.yaml', policy: STANDARD_POLICY });
      const first = { at: T0 + 5000, ring: 'canary', passRate: 1, failed: 0, budget: 1, latencyP50: 120 };
      const late = { at: T0 + 1000, ring: 'broad', passRate: null, failed: 0, budget: 2, latencyP50: null };
      await store.recordHealthSample('rollout-1', first);
      await store.recordHealthSample('rollout-2', { ...first, ring: 'other' });
      const seen = await store.healthSamplesSince('rollout-1', 0);
      expect(seen.map(({ id: _, ...s }) => s)).toEqual([first]);
      await store.recordHealthSample('rollout-1', late);
      const news = await store.healthSamplesSince('rollout-1', seen[0]!.id);
      expect(news.map(({ id: _, ...s }) => s)).toEqual([late]);
      expect(news[0]!.id).toBeGreaterThan(seen[0]!.id);
      expect(await store.healthSamplesSince('rollout-1', news[0]!.id)).toEqual([]);
      // The whole list stays in time order.
      expect(await store.healthSamples('rollout-1')).toEqual([late, first]);
    });

    it('stores none of a batch when one of it cannot be stored as it is', async () => {
      await store.createRollout({ state: sampleState('rollout-1'), scenario: 's.yaml', policy: STANDARD_POLICY });
      const good = { hostId: 'web-01', at: T0, version: '1', checks: [{ id: 'a', status: 'pass' as const }] };
      const bad = { hostId: 'web-02', at: T0, version: '1', checks: [{ id: 'a', status: 'pass' as const, metrics: { latencyMs: Number.NaN } }] };
      await expect(store.recordObservations('rollout-1', [good, bad])).rejects.toMatchObject({ code: 'invalid' });
      await expect(store.recordObservations('nope', [good])).rejects.toMatchObject({ code: 'not-found' });
      expect(await store.observations('rollout-1')).toEqual([]);
    });
  });

  describe('health samples', () => {
    it('gives back a rollout’s samples oldest first, for a chart of ring health over time', async () => {
      await store.createRollout({ state: sampleState('rollout-1'), scenario: 's.yaml', policy: STANDARD_POLICY });
      await store.createRollout({ state: sampleState('rollout-2'), scenario: 's.yaml', policy: STANDARD_POLICY });
      await store.recordHealthSample('rollout-1', { at: T0 + 2000, ring: 'pilot', passRate: 0.75, failed: 1, budget: 1, latencyP50: 12.5 });
      await store.recordHealthSample('rollout-1', { at: T0 + 1000, ring: 'canary', passRate: null, failed: 0, budget: 0 });
      await store.recordHealthSample('rollout-2', { at: T0, ring: 'canary', passRate: 1, failed: 0, budget: 0 });

      expect(await store.healthSamples('rollout-1')).toEqual([
        { at: T0 + 1000, ring: 'canary', passRate: null, failed: 0, budget: 0, latencyP50: null },
        { at: T0 + 2000, ring: 'pilot', passRate: 0.75, failed: 1, budget: 1, latencyP50: 12.5 },
      ]);
      expect(await store.healthSamples('nope')).toEqual([]);
    });

    it('refuses a sample of an unknown rollout, or one with a number that is not finite', async () => {
      await expect(store.recordHealthSample('nope', { at: T0, ring: 'canary', passRate: 1, failed: 0, budget: 0 })).rejects.toMatchObject({
        code: 'not-found',
      });
      await store.createRollout({ state: sampleState(), scenario: 's.yaml', policy: STANDARD_POLICY });
      await expect(store.recordHealthSample('rollout-1', { at: T0, ring: 'canary', passRate: Number.NaN, failed: 0, budget: 0 })).rejects.toBeInstanceOf(
        StoreError,
      );
      expect(await store.healthSamples('rollout-1')).toEqual([]);
    });
  });

  describe('lab runs', () => {
    it('gives back the report it was given; saving it again replaces it', async () => {
      const report = sampleReport('run-1', 'web-nginx', '2025-01-14T09:00:00.000Z');
      await store.saveLabRun(report);
      expect(await store.loadLabRun('run-1')).toEqual(report);

      const failed = { ...report, verdict: 'fail' as const, reasons: ['broken'] };
      await store.saveLabRun(failed);
      expect(await store.loadLabRun('run-1')).toEqual(failed);
      expect(await store.listLabRuns()).toHaveLength(1);
      expect(await store.loadLabRun('nope')).toBeUndefined();
    });

    it('lists summaries newest first, by image and up to a limit', async () => {
      await store.saveLabRun(sampleReport('run-1', 'web-nginx', '2025-01-14T09:00:00.000Z'));
      await store.saveLabRun(sampleReport('run-2', 'db-postgres', '2025-01-14T10:00:00.000Z', 'fail'));
      await store.saveLabRun(sampleReport('run-3', 'web-nginx', '2025-01-14T11:00:00.000Z', 'error'));

      expect(await store.listLabRuns()).toEqual([
        { runId: 'run-3', image: 'web-nginx', verdict: 'error', startedAt: '2025-01-14T11:00:00.000Z', durationMs: 61_500 },
        { runId: 'run-2', image: 'db-postgres', verdict: 'fail', startedAt: '2025-01-14T10:00:00.000Z', durationMs: 61_500 },
        { runId: 'run-1', image: 'web-nginx', verdict: 'pass', startedAt: '2025-01-14T09:00:00.000Z', durationMs: 61_500 },
      ]);
      expect((await store.listLabRuns({ image: 'web-nginx' })).map((r) => r.runId)).toEqual(['run-3', 'run-1']);
      expect((await store.listLabRuns({ image: 'web-nginx', limit: 1 })).map((r) => r.runId)).toEqual(['run-3']);
      expect((await store.listLabRuns({ limit: 2 })).map((r) => r.runId)).toEqual(['run-3', 'run-2']);
      expect(await store.listLabRuns({ image: 'mail-postfix' })).toEqual([]);
    });
  });
}
