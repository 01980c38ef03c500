import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { runLabOnWorker } from '../../lab/jobs/lab-run-job.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { silent } from '../../lab/progress.ts';
import { runLabOnImage } from '../../lab/run/run-image.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { median } from './median.ts';

/*
 * Issue 17: lab runs per minute. A batch of lab runs of web with tzdata (goss only) as jobs for
 * one and for two `patchlab worker` processes, against the same batch run one after another in
 * this process, as `lab run` does without workers. Everything is on this one machine: two workers
 * share its cores and its one Docker engine, so they show the queue's cost and that nothing is
 * serialised by it, not what two machines would do (see RESULTS.md).
 */
const BATCH = 2;
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const cache = new PackageCache();
const reports = mkdtempSync(join(tmpdir(), 'patchlab-bench-workers-'));
let cluster: PostgresCluster;
let database: TestDatabaseOnCluster;
let jobs: JobDatabase;
let n = 0;
/** Every call's time: vitest calls a bench function more than `iterations` times, and the load of others changes between calls. */
const batchMs: Record<string, number[]> = {};

function startWorkers(count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(join(projectRoot, 'bin/patchlab'), ['worker', '--concurrency', '1'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PATCHLAB_DATABASE_URL: database.url, PATCHLAB_CACHE: cache.root },
    }),
  );
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([exited, sleep(30_000).then(() => process.kill(-child.pid!, 'SIGKILL'))]);
    }),
  );
  await jobs.pool.query('DELETE FROM patchlab_workers');
}

/** Waits until `count` workers beat. */
async function workersUp(count: number): Promise<void> {
  for (;;) {
    const { rows } = await jobs.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM patchlab_workers');
    if ((rows[0]?.n ?? 0) >= count) return;
    await sleep(200);
  }
}

const request = () => ({ image: 'web', patch: ['tzdata'], checks: [goss], refreshLists: 'if-stale' as const, reportDir: join(reports, `run-${n++}`) });

async function batchOnWorkers(count: number): Promise<void> {
  const children = startWorkers(count);
  try {
    await workersUp(count);
    const started = performance.now();
    const done = await Promise.all(Array.from({ length: BATCH }, () => runLabOnWorker(jobs.pool, jobs.store, request(), silent)));
    (batchMs[`${count} worker(s)`] ??= []).push(performance.now() - started);
    if (done.some((r) => r.verdict !== 'pass')) throw new Error(`a lab run did not pass: ${done.map((r) => r.verdict).join(', ')}`);
  } finally {
    await stopWorkers(children);
  }
}

function report(): void {
  const base = median(batchMs['in this process'] ?? []);
  const lines = [`lab runs of web with tzdata (goss only), a batch of ${BATCH}, median of every call:`];
  for (const [name, all] of Object.entries(batchMs)) {
    const ms = median(all);
    lines.push(`  ${name}: ${(ms / 1000).toFixed(1)} s, ${((BATCH * 60_000) / ms).toFixed(2)} runs/min, ${(ms / base).toFixed(2)}x the batch in this process; calls: ${all.map((m) => (m / 1000).toFixed(0)).join(', ')} s`);
  }
  console.log(lines.join('\n'));
}

beforeAll(async () => {
  cluster = await startPostgresCluster();
  database = await cluster.createDatabase();
  jobs = await openJobDatabase(database.url);
  // Fills the cache and the reusable package lists, as a first run of the day would.
  await runLabOnImage({ ...request(), cache });
}, 1_800_000);

afterAll(async () => {
  report();
  await jobs?.close();
  await database?.drop();
  await cluster?.stop();
  rmSync(reports, { recursive: true, force: true });
}, 120_000);

describe(`a batch of ${BATCH} lab runs`, () => {
  const opts = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
  bench('baseline: one after another in this process (lab run without workers)', async () => {
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) await runLabOnImage({ ...request(), cache });
    (batchMs['in this process'] ??= []).push(performance.now() - started);
  }, opts);
  bench('as jobs for 1 worker', () => batchOnWorkers(1), opts);
  bench('as jobs for 2 workers', () => batchOnWorkers(2), opts);
});
