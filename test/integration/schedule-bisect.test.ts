import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bisectNotifications } from '../../lab/notify/run-notifications.ts';
import { buildDeb, nginxBreakingDeb } from '../../lab/patches/synthetic-deb.ts';
import { runSchedule } from '../../lab/schedule/scheduled-run.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

/*
 * A scheduled run whose patch breaks nginx bisects on its own, with the real lab. Two local .debs
 * (a harmless one and the one that breaks nginx) keep it to the fewest lab runs, and to no
 * download: the bisection of real updates is advisories-bisect.test.ts's.
 */
const home = mkdtempSync(join(tmpdir(), 'patchlab-schedule-bisect-'));
const store = openStore(join(home, 'patchlab.db'));

afterAll(async () => {
  await store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('a scheduled run that fails', () => {
  it('bisects on its own: names the culprit and the check it breaks, proposes what to leave out, proves the rest, stores and tells it', async () => {
    const bad = nginxBreakingDeb(home);
    const harmless = buildDeb({ name: 'patchlab-motd-note', version: '1.0-1', description: 'harmless synthetic update', files: [{ path: '/etc/patchlab-motd-note', content: 'patched\n' }] }, home);
    const spec = parseScheduleSpec({ kind: 'cron', name: 'web-nightly', expression: '0 3 * * *', timeZone: 'UTC', images: ['web'], patch: `${harmless},${bad}` });
    await store.addSchedule({ spec, addedAt: Date.now() });

    const run = await runSchedule(spec, { store, slotAt: null, bisectMaxRuns: 4 });

    const [web] = run.images;
    expect(web?.verdict).toBe('fail');
    const bisect = web?.bisect;
    expect(bisect, JSON.stringify(web)).toMatchObject({ status: 'finished', hold: [], leaveOut: [bad] });
    expect(bisect?.culprits.map((c) => c.items)).toEqual([[basename(bad)]]);
    expect(bisect?.culprits[0]?.breaks.some((b) => /check http .*broken by the patch/.test(b))).toBe(true);
    // Two items, one culprit: at most ceil(log2 2) + 2 lab runs; the rest was proven by one that passed.
    expect(bisect?.testsRun).toBeLessThanOrEqual(3);
    expect((await store.loadLabRun(bisect!.restRunId!))?.verdict).toBe('pass');

    // Kept with the run, and whole in the bisect store, every step with its lab run.
    expect((await store.scheduleRuns({ schedule: 'web-nightly' }))[0]?.images[0]?.bisect).toEqual(bisect);
    const stored = await store.loadBisect(bisect!.bisectId);
    expect(stored).toMatchObject({ status: 'finished', runId: web!.runId, maxLabRuns: 4 });
    expect(stored!.steps.every((s) => s.runId && (s.outcome === 'pass' || s.outcome === 'fail'))).toBe(true);
    expect(await store.listBisects({ runId: web!.runId! })).toHaveLength(1);

    const [told] = bisectNotifications(run);
    expect(told).toMatchObject({ kind: 'bisect.finished', subject: bisect!.bisectId });
    expect(told!.text).toContain(`culprit ${basename(bad)} breaks: `);
    expect(told!.text).toMatch(/breaks: .*check http .*broken by the patch/);
    expect(told!.text).toContain(`leave out: ${bad}`);
    expect(told!.text).toContain(`the rest passes in lab run ${bisect!.restRunId}`);
  }, 600_000);
});
