import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
import { PackageCache } from '../../lab/patches/cache.ts';
import { debFileName } from '../../lab/patches/apt-output.ts';
import { workersAlive } from '../../lab/jobs/worker-liveness.ts';
import { SCHEDULED_RUN_TASK } from '../../lab/jobs/scheduled-run-job.ts';
import { openJobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster } from '../contract/postgres-cluster.ts';

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

/*
 * Issue 17: with PostgreSQL and a live worker, `serve` claims a due slot and adds its run's job in
 * one transaction, and a real `patchlab worker` runs it with the real lab and its own package cache
 * (`--cache`, empty at first). Both are processes as a team runs them; the database is a throwaway
 * cluster on a Unix socket.
 */
describe('a scheduled run on a worker', () => {
  it('is claimed by serve with its job, run by the worker with the real lab, and recorded once', async () => {
    const cluster = await startPostgresCluster();
    const database = await cluster.createDatabase();
    const jobs = await openJobDatabase(database.url);
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-schedule-pg-'));
    const children: { child: ChildProcess; output: string }[] = [];
    const start = (args: string[], name: string) => {
      const child = spawn(join(projectRoot, 'bin/patchlab'), args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PATCHLAB_DATABASE_URL: database.url, PATCHLAB_HOME: join(dir, name), PATCHLAB_CACHE: new PackageCache().root },
      });
      const entry = { child, output: '' };
      child.stdout!.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
      children.push(entry);
      return entry;
    };
    try {
      // The worker's own cache, empty: its lab run fills it from the mirror.
      const workerCache = join(dir, 'worker', 'cache');
      const worker = start(['worker', '--concurrency', '1', '--cache', workerCache], 'worker');
      const deadline = Date.now() + 240_000;
      while (!(await workersAlive(jobs.pool, Date.now()))) {
        if (Date.now() > deadline) throw new Error(`the worker never beat:\n${worker.output}`);
        await sleep(250);
      }
      const addedAt = Date.now();
      const spec = parseScheduleSpec({ kind: 'cron', name: 'web-worker', expression: cronAt(addedAt + 3_000), timeZone: 'UTC', images: ['web'], patch: 'tzdata' });
      await jobs.store.addSchedule({ spec, addedAt });
      const serve = start(['serve', '--port', '0', '--no-drive'], 'serve');
      while ((await jobs.store.scheduleRuns()).length === 0) {
        if (Date.now() > deadline) throw new Error(`the schedule never ran:\nserve: ${serve.output}\nworker: ${worker.output}`);
        await sleep(500);
      }
      // Its only slot has passed: neither serve nor the worker runs it again.
      await sleep(3_000);
      const runs = await jobs.store.scheduleRuns({ schedule: 'web-worker' });
      expect(runs, `serve: ${serve.output}\nworker: ${worker.output}`).toHaveLength(1);
      expect(runs[0]!.slotAt).toBe(Math.floor((addedAt + 3_000) / 1000) * 1000);
      expect(runs[0]!.images[0]).toMatchObject({ image: 'web', verdict: 'pass', patches: [{ name: 'tzdata' }] });
      expect((await jobs.store.loadLabRun(runs[0]!.images[0]!.runId!))?.verdict).toBe('pass');
      const tzdata = runs[0]!.images[0]!.patches[0]!.version;
      expect(readdirSync(join(workerCache, 'archives'))).toContain(debFileName('tzdata', tzdata, 'all'));
      expect(serve.output).toMatch(/schedule web-worker: the slot of \S+ is a job for a worker/);
      expect(worker.output).toMatch(/schedule web-worker: running for/);
      expect((await jobs.pool.query('SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = $1', [SCHEDULED_RUN_TASK])).rowCount).toBe(0);
    } finally {
      const running = children.map(({ child }) => child).filter((child) => child.exitCode === null && child.signalCode === null);
      const exited = Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
      for (const child of running) process.kill(-child.pid!, 'SIGTERM');
      // A process that does not stop on SIGTERM within 20 s is killed: the test must not leave it.
      if ((await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)])) === false) {
        for (const child of running) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
      await exited;
      await jobs.close();
      await database.drop();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 360_000);
});
