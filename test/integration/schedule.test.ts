import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { nginxBreakingDeb } from '../../lab/patches/synthetic-deb.ts';
import { runSchedule } from '../../lab/schedule/scheduled-run.ts';
import { Scheduler } from '../../lab/schedule/scheduler.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

const home = mkdtempSync(join(tmpdir(), 'patchlab-schedule-'));
const store = openStore(join(home, 'patchlab.db'));

/** A six-field cron expression (seconds first) for one moment, in UTC. */
function cronAt(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

describe('scheduled regression runs, with the real lab', () => {
  it('runs a schedule set two seconds ahead once, stores its result, and shows it in the history', async () => {
    const addedAt = Date.now();
    const spec = parseScheduleSpec({ kind: 'cron', name: 'web-soon', expression: cronAt(addedAt + 2_000), timeZone: 'UTC', images: ['web'], patch: 'tzdata' });
    await store.addSchedule({ spec, addedAt });
    const scheduler = new Scheduler({ store, pollMs: 500, run: (s, due) => runSchedule(s, { store, slotAt: due.slotAt, coalesced: due.coalesced }) });
    scheduler.start();
    try {
      const deadline = Date.now() + 240_000;
      while ((await store.scheduleRuns()).length === 0) {
        if (Date.now() > deadline) throw new Error('the schedule never ran');
        await sleep(250);
      }
      // Its only slot has passed: polling on must not run it again.
      await sleep(3_000);
    } finally {
      await scheduler.stop();
    }
    const runs = await store.scheduleRuns({ schedule: 'web-soon' });
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run!.startedAt).toBeGreaterThanOrEqual(run!.slotAt!);
    expect(run!.slotAt).toBe(Math.floor((addedAt + 2_000) / 1000) * 1000);
    const [web] = run!.images;
    expect(web).toMatchObject({ image: 'web', verdict: 'pass' });
    // The first run: everything pending is new, and the patch is what it installed.
    expect(web!.newlyUpgradable.some((p) => p.startsWith('tzdata='))).toBe(true);
    expect(web!.newlyUpgradable).toEqual(web!.upgradable);
    expect(web!.patches.map((p) => p.name)).toEqual(['tzdata']);
    expect(web!.checks.length).toBeGreaterThan(0);
    const lab = await store.loadLabRun(web!.runId!);
    expect(lab?.verdict).toBe('pass');
    // A scheduled run is there to see what was published since the last one: never lists another run left.
    expect(lab?.lists).toMatchObject({ refreshed: true, reason: 'asked' });

    const { stdout } = await promisify(execFile)(join(projectRoot, 'bin/patchlab'), ['schedule', 'history', 'web-soon'], { env: { ...process.env, PATCHLAB_HOME: home } });
    expect(stdout).toMatch(/web-soon +on schedule/);
    expect(stdout).toMatch(/web +pass/);
    expect(stdout).toMatch(/web: 1 run\(s\), 0 regression\(s\)/);
  }, 300_000);

  it('posts a failed run to the webhook, and the run is stored whatever the webhook answers', async () => {
    const received: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const deb = nginxBreakingDeb(mkdtempSync(join(home, 'deb-')));
      const { port } = server.address() as AddressInfo;
      const spec = parseScheduleSpec({ kind: 'cron', name: 'web-bad', expression: '0 3 * * 2', timeZone: 'UTC', images: ['web'], patch: deb, webhook: `http://127.0.0.1:${port}/hook` });
      await store.addSchedule({ spec, addedAt: Date.now() });
      const run = await runSchedule(spec, { store, slotAt: null });
      expect(run.images[0]?.verdict).toBe('fail');
      expect(run.images[0]?.checks.some((c) => c.id.startsWith('http') && c.status === 'fail')).toBe(true);
      expect(run.webhook).toEqual({ status: 500 });
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ event: 'scheduled-run-failed', schedule: 'web-bad', images: [{ image: 'web', verdict: 'fail' }] });
      expect(await store.scheduleRuns({ schedule: 'web-bad' })).toHaveLength(1);
    } finally {
      server.close();
    }
  }, 300_000);

  afterAll(async () => {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  });
});
