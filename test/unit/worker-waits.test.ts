import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { putResult } from '../../lab/jobs/job-results.ts';
import { beat, STALE_MS } from '../../lab/jobs/worker-liveness.ts';
import { askFleetHosts } from '../../rollout/fleets/jobs/fleet-jobs.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { addHostStep } from '../../rollout/fleets/jobs/host-steps.ts';
import { registerFleetHosts } from '../../rollout/fleets/jobs/job-fleet.ts';
import { openJobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { waitsFor, workerWaits } from '../../rollout/fleets/jobs/worker-waits.ts';
import { rolloutJson } from '../../web/api/rollout-json.ts';
import { whatWaits } from '../../web/model/waiting.ts';
import { waitingBanner } from '../../web/views/waiting-banner.ts';
import { useJobDatabase } from '../contract/job-database-fixture.ts';
import { sampleState } from '../fixtures/store/samples.ts';

/*
 * A host step queued for a Docker engine with no live worker waits in silence unless someone
 * says it. Real PostgreSQL (a throwaway cluster), real jobs added as a decision adds them, no
 * worker taking them: `rollout status`, the API's JSON and the page's banner name the engine and
 * since when; a worker that beats on that engine ends the wait.
 */
const A = 'tcp://lab-a.internal:2375';
const B = 'unix:///run/lab-b/docker.sock';
const ID = 'rollout-waits';
const fixture = useJobDatabase();
const home = mkdtempSync(join(tmpdir(), 'patchlab-waits-'));

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

function rolloutStatus(id: string): Promise<string> {
  const child = spawn(join(projectRoot, 'bin/patchlab'), ['rollout', 'status', id], { env: { ...process.env, PATCHLAB_DATABASE_URL: fixture().database.url, PATCHLAB_HOME: home } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`rollout status exited ${code}: ${output}`)))));
}

describe('host steps waiting for a worker on their engine', () => {
  it('are said by rollout status, the API and the page, with the engine and since when, until a worker on it beats', async () => {
    const { store, pool } = fixture().jobs;
    const state = sampleState(ID);
    await store.createRollout({ state, scenario: 'workers.yaml', policy: STANDARD_POLICY, meta: {} });
    const [onA, onB, alsoA] = [state.hosts[0]!.id, state.hosts[1]!.id, state.hosts[2]!.id];
    await registerFleetHosts(pool, ID, [
      { hostId: onA, dockerHost: A },
      { hostId: onB, dockerHost: B },
      { hostId: alsoA, dockerHost: A },
    ]);
    // A worker lives on B only, beating as a worker does; nothing runs the jobs (the test takes none).
    const before = Date.now();
    const beating = new Map<string, string>([['worker-b', B]]);
    const beatAll = () => Promise.all([...beating].map(([worker, engine]) => beat(pool, [worker], `${worker}:1`, Date.now(), engine)));
    await beatAll();
    const timer = setInterval(() => void beatAll().catch(() => undefined), 1_000);
    onTestFinished(() => clearInterval(timer));
    expect(await workerWaits(pool, ID, Date.now())).toEqual([]);
    const client = await pool.connect();
    try {
      await addHostStep(client, { rolloutId: ID, hostId: onA, step: 'patch', key: `${ID}/${onA}/patch` });
      await addHostStep(client, { rolloutId: ID, hostId: onB, step: 'patch', key: `${ID}/${onB}/patch` });
      await addHostStep(client, { rolloutId: ID, hostId: alsoA, step: 'check', key: `${ID}/${alsoA}/check/1` });
    } finally {
      client.release();
    }
    const now = Date.now();
    const waits = await workerWaits(pool, ID, now);
    expect(waits).toHaveLength(1);
    expect(waits[0]!.engine).toBe(A);
    expect(waits[0]!.hosts).toEqual([onA, alsoA].sort());
    expect(waits[0]!.since).toBeGreaterThanOrEqual(before - 1_000);
    expect(waits[0]!.since).toBeLessThanOrEqual(now + 1_000);
    const since = new Date(waits[0]!.since).toISOString();

    // rollout status, from the same database.
    expect(await rolloutStatus(ID)).toContain(`waiting for a worker on engine ${A} since ${since}`);

    // The API's JSON.
    const record = (await store.loadRollout(ID))!;
    const json = rolloutJson(record, now, waits);
    expect(json.waitingForWorkers).toEqual([{ engine: A, since, hosts: [onA, alsoA].sort(), text: `waiting for a worker on engine ${A} since ${since}` }]);
    expect(rolloutJson(record, now).waitingForWorkers).toEqual([]);

    // The page's banner.
    const waiting = whatWaits(record.state, now, waits);
    expect(waiting).toMatchObject({ kind: 'worker', since: waits[0]!.since });
    const banner = waitingBanner(waiting, ['alice'], now + 2 * 60_000).value;
    expect(banner).toContain(`Waiting for a worker on engine <code>${A}</code> since`);
    expect(banner).toContain('(2 min ago)');
    expect(banner).toContain(`${onA}`);
    expect(banner).toContain('patchlab worker --docker-host URL');

    // A worker on A beats: nothing waits any more, and nothing is said.
    beating.set('worker-a', A);
    await beatAll();
    expect(await workerWaits(pool, ID, Date.now())).toEqual([]);
    expect(await rolloutStatus(ID)).not.toContain('waiting for a worker');
    // ... until the beats go stale: a dead worker takes nothing.
    clearInterval(timer);
    expect((await workerWaits(pool, ID, Date.now() + STALE_MS + 5_000)).map((w) => w.engine).sort()).toEqual([A, B].sort());
  }, 60_000);

  it("a coordinator's start job for an engine with no live worker says so once, and gets its answer when a worker comes", async () => {
    const { pool } = fixture().jobs;
    const engine = 'tcp://lab-c.internal:2375';
    const said: string[] = [];
    const asking = askFleetHosts(pool, { action: 'remove', rolloutId: 'rollout-start-waits', dockerHost: engine }, (why) => said.push(why));
    for (const deadline = Date.now() + 10_000; said.length === 0 && Date.now() < deadline; ) await sleep(50);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`removing the hosts of rollout rollout-start-waits on ${engine}: waiting for a worker on engine ${engine} since \\d{4}-`));
    // A worker on that engine beats and answers the job, as fleetHostsTask would.
    await beat(pool, ['worker-c'], 'lab-c:1', Date.now(), engine);
    const [job] = (await pool.query<{ key: string }>("SELECT key FROM graphile_worker.jobs WHERE key LIKE 'rollout-start-waits/%'")).rows;
    await putResult(pool, job!.key, 'rollout-start-waits', { hosts: [] }, Date.now());
    await expect(asking).resolves.toEqual([]);
    expect(said).toHaveLength(1);
  });

  it('says nothing for a database no worker ever used', async () => {
    const bare = await fixture().cluster.createDatabase();
    const other = await openJobDatabase(bare.url);
    try {
      await other.pool.query('DROP SCHEMA graphile_worker CASCADE');
      expect(await workerWaits(other.pool, ID, Date.now())).toEqual([]);
    } finally {
      await other.close();
      await bare.drop();
    }
  });

  it('groups queued steps per engine without a live worker: each host once, since the oldest step', () => {
    const step = fc.record({ engine: fc.constantFrom(A, B, 'tcp://c:2375'), hostId: fc.constantFrom('h1', 'h2', 'h3'), queuedAt: fc.integer({ min: 0, max: 1e6 }) });
    fc.assert(
      fc.property(fc.array(step), fc.subarray([A, B, 'tcp://c:2375']), (steps, live) => {
        const waits = waitsFor(steps, new Set(live));
        const waiting = steps.filter((s) => !live.includes(s.engine));
        expect(waits.map((w) => w.engine).sort()).toEqual([...new Set(waiting.map((s) => s.engine))].sort());
        for (const w of waits) {
          const mine = waiting.filter((s) => s.engine === w.engine);
          expect(w.since).toBe(Math.min(...mine.map((s) => s.queuedAt)));
          expect(w.hosts).toEqual([...new Set(mine.map((s) => s.hostId))].sort());
        }
      }),
    );
  });
});
