import { describe, expect, it } from 'vitest';
import type { BisectStore } from '../../lab/bisect/bisect-store.ts';
import type { LabBisectReport } from '../../lab/bisect/lab-bisect.ts';
import { freshStoreEach, type StoreHarness } from './harness.ts';

type Store = BisectStore & { close(): Promise<void> };

export function bisectReport(bisectId: string, runId: string, startedAt: string, status: LabBisectReport['status'] = 'running'): LabBisectReport {
  const tzdata = { label: 'tzdata', packages: [{ name: 'tzdata', version: '2025b-0+deb12u1' }], debs: [] };
  return {
    bisectId,
    runId,
    image: 'web',
    status,
    startedAt,
    items: [tzdata],
    culprits: [],
    hold: [],
    leaveOut: [],
    rest: { items: [], patch: [] },
    testsRun: 1,
    waves: 1,
    steps: [{ index: 1, wave: 1, purpose: 'search', items: ['tzdata'] }],
  };
}

/** Bisections, saved again as they go: what every implementation keeps and gives back. */
export function bisectStoreContract(harness: StoreHarness<Store>): void {
  const current = freshStoreEach(harness);

  describe('bisections', () => {
    it('keeps the latest save of each, lists them newest first and by the lab run they bisect', async () => {
      const first = bisectReport('bisect-a', 'lab-1', '2026-12-07T08:00:00.000Z');
      await current().saveBisect(first);
      await current().saveBisect(bisectReport('bisect-b', 'lab-2', '2026-12-07T09:00:00.000Z'));
      const finished: LabBisectReport = {
        ...first,
        status: 'finished',
        finishedAt: '2026-12-07T08:30:00.000Z',
        steps: [{ index: 1, wave: 1, purpose: 'search', items: ['tzdata'], outcome: 'fail', runId: 'lab-3', durationMs: 1200 }],
        culprits: [{ items: first.items, runId: 'lab-3', breaks: ['check http broken by the patch'] }],
        hold: ['tzdata'],
      };
      await current().saveBisect(finished);
      expect(await current().loadBisect('bisect-a')).toEqual(finished);
      expect(await current().loadBisect('bisect-none')).toBeUndefined();
      expect(await current().listBisects()).toEqual([
        { bisectId: 'bisect-b', runId: 'lab-2', image: 'web', status: 'running', startedAt: '2026-12-07T09:00:00.000Z' },
        { bisectId: 'bisect-a', runId: 'lab-1', image: 'web', status: 'finished', startedAt: '2026-12-07T08:00:00.000Z' },
      ]);
      expect((await current().listBisects({ runId: 'lab-1' })).map((b) => b.bisectId)).toEqual(['bisect-a']);
      expect((await current().listBisects({ limit: 1 })).map((b) => b.bisectId)).toEqual(['bisect-b']);
    });
  });
}
