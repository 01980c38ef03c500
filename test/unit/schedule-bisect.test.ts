import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabReport } from '../../lab/run/report.ts';
import { runSchedule } from '../../lab/schedule/scheduled-run.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { labReport } from '../e2e/lab-reports.ts';

/*
 * How a scheduled run hands a failure to the bisection, with a stand-in lab (the real one is
 * integration/schedule-bisect.test.ts's): the limit, a run that cannot be bisected, no bisection
 * when it is turned off.
 */

const UPDATES = [
  { name: 'openssl', from: '3.0.13-1~deb12u1', to: '3.0.15-1~deb12u1' },
  { name: 'tzdata', from: '2024a-0+deb12u1', to: '2025b-0+deb12u1' },
  { name: 'zlib1g', from: '1:1.2.13.dfsg-1', to: '1:1.2.13.dfsg-1+deb12u1' },
];
const spec = parseScheduleSpec({ kind: 'cron', name: 'web-nightly', expression: '0 3 * * *', timeZone: 'UTC', images: ['web'], patch: 'security' });
let store: Store;
let labRuns: string[][];

/** The whole security set, or a subset by name=version; anything with openssl fails. */
async function lab(_image: string, patch: string[]): Promise<LabReport> {
  labRuns.push(patch);
  const packages = patch.includes('security') ? UPDATES : UPDATES.filter((u) => patch.includes(`${u.name}=${u.to}`));
  const report = labReport(`lab-${labRuns.length}`, packages);
  return packages.some((p) => p.name === 'openssl') ? { ...report, verdict: 'fail', reasons: ['check http broken by the patch'] } : report;
}

beforeEach(async () => {
  store = openStore(':memory:');
  labRuns = [];
  await store.addSchedule({ spec, addedAt: 0 });
});

afterEach(async () => {
  await store.close();
});

describe('a scheduled run that fails', () => {
  it('is bisected within the limit, each subset\'s run kept with the lab runs', async () => {
    const run = await runSchedule(spec, { store, slotAt: null, lab, bisectMaxRuns: 6 });
    const bisect = run.images[0]?.bisect;
    expect(bisect).toMatchObject({ status: 'finished', culprits: [{ items: ['openssl'], breaks: ['check http broken by the patch'] }], hold: ['openssl'] });
    expect(labRuns).toHaveLength(1 + bisect!.testsRun);
    expect((await store.listLabRuns()).length).toBe(labRuns.length);
    expect((await store.loadBisect(bisect!.bisectId))?.status).toBe('finished');
  });

  it('stops at the limit and says so, stored like any bisection', async () => {
    const run = await runSchedule(spec, { store, slotAt: null, lab, bisectMaxRuns: 1 });
    const bisect = run.images[0]?.bisect;
    expect(bisect).toMatchObject({ status: 'stopped', testsRun: 1, error: expect.stringContaining('at most 1 lab run(s) allowed') });
    expect(labRuns).toHaveLength(2);
    expect((await store.loadBisect(bisect!.bisectId))?.status).toBe('stopped');
  });

  it('stores why when the run cannot be bisected, and never bisects when turned off', async () => {
    const gone = async (image: string, patch: string[]) => ({ ...(await lab(image, patch)), patch: { ...(await lab(image, patch)).patch, debs: ['/nonexistent/fix.deb'] } });
    const run = await runSchedule(spec, { store, slotAt: null, lab: gone, bisectMaxRuns: 6 });
    const bisect = run.images[0]?.bisect;
    expect(bisect).toMatchObject({ status: 'stopped', testsRun: 0, error: expect.stringContaining('the .deb /nonexistent/fix.deb of run') });
    expect((await store.loadBisect(bisect!.bisectId))?.error).toBe(bisect!.error);

    labRuns = [];
    const off = await runSchedule(spec, { store, slotAt: null, lab, bisectMaxRuns: 0 });
    expect(off.images[0]?.bisect).toBeUndefined();
    expect(labRuns).toHaveLength(1);
  });
});
