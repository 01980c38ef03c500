import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type Runner } from 'graphile-worker';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { addJob, askJob, putResult, takeResult } from '../../lab/jobs/job-results.ts';
import { quietLogger } from '../../lab/jobs/job-schema.ts';
import { runLabOnWorker } from '../../lab/jobs/lab-run-job.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { silent } from '../../lab/progress.ts';
import { runLabOnImage } from '../../lab/run/run-image.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';

/*
 * Issue 17's figures. (1) What the queue costs per job: a job added, taken by a graphile-worker
 * in this process, its answer written and awaited, against a direct call of the same task (the
 * answer written and taken, no queue). (2) Lab runs per minute: a batch of lab runs of web with
 * tzdata (goss only) as jobs for one and for two `patchlab worker` processes, against the same
 * batch run one after another in this process, as `lab run` does without workers. Everything is
 * on this one machine: two workers share its cores and its one Docker engine.
 */
const BATCH = 4;
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const cache = new PackageCache();
const reports = mkdtempSync(join(tmpdir(), 'patchlab-bench-workers-'));
let cluster: PostgresCluster;
let database: TestDatabaseOnCluster;
let jobs: JobDatabase;
let runner: Runner;
let n = 0;
const batchMs: Record<string, number> = {};
const jobMs: Record<string, number[]> = {};

const ECHO = 'bench-echo';
const echo = async (payload: { key: string }) => putResult(jobs.pool, payload.key, 'bench', { ok: true }, Date.now());

function timed(name: string, work: () => Promise<unknown>) {
  return async () => {
    const started = performance.now();
    await work();
    (jobMs[name] ??= []).push(performance.now() - started);
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

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
    batchMs[`${count} worker(s)`] = performance.now() - started;
    if (done.some((r) => r.verdict !== 'pass')) throw new Error(`a lab run did not pass: ${done.map((r) => r.verdict).join(', ')}`);
  } finally {
    await stopWorkers(children);
  }
}

function report(): void {
  const direct = median(jobMs.direct ?? []);
  const lines = [`\nqueue overhead per job (median of ${jobMs.direct?.length ?? 0} each):`, `  baseline: direct call of the task: ${direct.toFixed(1)} ms`];
  for (const name of ['poll 100 ms', 'poll 10 ms']) {
    const m = median(jobMs[name] ?? []);
    lines.push(`  queue (${name}): ${m.toFixed(1)} ms = ${(m / direct).toFixed(1)}x, +${(m - direct).toFixed(1)} ms per job`);
  }
  const base = batchMs['in this process'] ?? NaN;
  lines.push(`lab runs of web with tzdata (goss only), a batch of ${BATCH}:`);
  for (const [name, ms] of Object.entries(batchMs)) {
    lines.push(`  ${name}: ${(ms / 1000).toFixed(1)} s, ${((BATCH * 60_000) / ms).toFixed(2)} runs/min, ${(ms / base).toFixed(2)}x the time of the batch in this process`);
  }
  console.log(lines.join('\n'));
}

beforeAll(async () => {
  cluster = await startPostgresCluster();
  database = await cluster.createDatabase();
  jobs = await openJobDatabase(database.url);
  runner = await run({ pgPool: jobs.pool, concurrency: 1, taskList: { [ECHO]: async (p) => echo(p as { key: string }) }, logger: quietLogger, noHandleSignals: true, pollInterval: 1_000 });
  // Fills the cache and the reusable package lists, as a first run of the day would.
  await runLabOnImage({ ...request(), cache });
}, 600_000);

afterAll(async () => {
  report();
  await runner?.stop();
  await jobs?.close();
  await database?.drop();
  await cluster?.stop();
  rmSync(reports, { recursive: true, force: true });
}, 120_000);

describe('the queue against a direct call', () => {
  const opts = { iterations: 30, warmupIterations: 3, time: 0, warmupTime: 0 };
  bench('baseline: direct call of the task (answer written and taken)', timed('direct', async () => {
    const key = `bench/direct/${n++}`;
    await echo({ key });
    await takeResult(jobs.pool, key);
  }), opts);
  for (const pollMs of [100, 10]) {
    bench(`queue: add, a worker takes it, await the answer (poll ${pollMs} ms)`, timed(`poll ${pollMs} ms`, async () => {
      const key = `bench/queue/${n++}`;
      await askJob(jobs.pool, key, (client) => addJob(client, { task: ECHO, payload: { key }, key, maxAttempts: 1 }), { what: 'echo', pollMs });
    }), opts);
  }
});

describe(`a batch of ${BATCH} lab runs`, () => {
  const opts = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
  bench('baseline: one after another in this process (lab run without workers)', async () => {
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) await runLabOnImage({ ...request(), cache });
    batchMs['in this process'] = performance.now() - started;
  }, opts);
  bench('as jobs for 1 worker', () => batchOnWorkers(1), opts);
  bench('as jobs for 2 workers', () => batchOnWorkers(2), opts);
});
