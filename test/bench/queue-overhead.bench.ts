import { run, type Runner } from 'graphile-worker';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { addJob, askJob, putResult, takeResult } from '../../lab/jobs/job-results.ts';
import { quietLogger } from '../../lab/jobs/job-schema.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { median } from './median.ts';

/*
 * Issue 17: what the queue costs per job. A job added, taken by a graphile-worker in this
 * process, its answer written and awaited (as a host step or a lab run is), against a direct
 * call of the same task: the answer written and taken, no queue. The asker polls for the answer;
 * the two poll intervals show how much of the cost is that wait.
 */
let cluster: PostgresCluster;
let database: TestDatabaseOnCluster;
let jobs: JobDatabase;
let runner: Runner;
let n = 0;
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

function report(): void {
  const direct = median(jobMs.direct ?? []);
  const lines = [`\nqueue overhead per job (medians of ${jobMs.direct?.length ?? 0} calls):`, `  baseline: direct call of the task: ${direct.toFixed(1)} ms`];
  for (const name of ['poll 100 ms', 'poll 10 ms']) {
    const m = median(jobMs[name] ?? []);
    lines.push(`  queue (${name}): ${m.toFixed(1)} ms = ${(m / direct).toFixed(1)}x, +${(m - direct).toFixed(1)} ms per job`);
  }
  console.log(lines.join('\n'));
}

beforeAll(async () => {
  cluster = await startPostgresCluster();
  database = await cluster.createDatabase();
  jobs = await openJobDatabase(database.url);
  runner = await run({ pgPool: jobs.pool, concurrency: 1, taskList: { [ECHO]: async (p) => echo(p as { key: string }) }, logger: quietLogger, noHandleSignals: true, pollInterval: 1_000 });
}, 120_000);

afterAll(async () => {
  report();
  await runner?.stop();
  await jobs?.close();
  await database?.drop();
  await cluster?.stop();
}, 60_000);

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
