import fc from 'fast-check';
import { makeWorkerUtils } from 'graphile-worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { putResult } from '../../lab/jobs/job-results.ts';
import { quietLogger } from '../../lab/jobs/job-schema.ts';
import { engineFlag, otherEnginesFlags } from '../../lab/jobs/engine-routing.ts';
import { beat, freeDeadWorkersJobs, liveEngines, STALE_MS, workersAlive } from '../../lab/jobs/worker-liveness.ts';
import { dealHosts } from '../../rollout/drive/fleet-plan.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { ENGINE } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { addHostStep, HOST_STEP_TASK, stepKey, stepsAskedBy } from '../../rollout/fleets/jobs/host-steps.ts';
import { JobFleet, registerFleetHosts } from '../../rollout/fleets/jobs/job-fleet.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { rolloutStoreContract } from '../contract/rollout-store.contract.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { sampleState, T0 } from '../fixtures/store/samples.ts';

/*
 * The job queue's guarantees on a real PostgreSQL server (a throwaway cluster on a Unix socket):
 * a decision and the host steps it asks for commit together or not at all, a step asked for
 * again stays one job, an answer is taken once, and a silent worker's jobs are freed.
 */
let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const MINUTE = 60_000;

describe('the store with a job queue', () => {
  // The hook that adds jobs must leave every promise of the rollout store as it was.
  rolloutStoreContract({
    async create() {
      const database = await cluster!.createDatabase();
      return {
        open: async () => {
          const jobs = await openJobDatabase(database.url);
          return { ...jobs.store, close: jobs.close } as Store;
        },
        dispose: () => database.drop(),
      };
    },
    constraintFailure: /violates check constraint/,
  });
});

describe('host steps as jobs', () => {
  let database: TestDatabaseOnCluster;
  let jobs: JobDatabase;
  beforeEach(async () => {
    database = await cluster!.createDatabase();
    jobs = await openJobDatabase(database.url);
  });
  afterEach(async () => {
    await jobs.close();
    await database.drop();
  });

  const jobKeys = async () =>
    (await jobs.pool.query<{ key: string }>('SELECT key FROM graphile_worker.jobs WHERE task_identifier = $1 ORDER BY key', [HOST_STEP_TASK])).rows.map((r) => r.key);

  async function storedWithCanaryPatch() {
    const state = sampleState('rollout-1', 6);
    await jobs.store.createRollout({ state, scenario: 's.yaml', policy: STANDARD_POLICY, meta: {} });
    const hosts = state.rings[0]!.hostIds.slice(0, 2);
    const decision: Decision = { action: 'patch-hosts', ring: 0, hosts, reasons: ['canary'], figures: {} };
    return { state, hosts, decision, after: apply(state, decision, T0 + MINUTE) };
  }

  async function onWorkers(state: { hosts: { id: string }[] }) {
    await registerFleetHosts(jobs.pool, 'rollout-1', state.hosts.map((h) => ({ hostId: h.id, dockerHost: 'unix:///run/lab-1/docker.sock' })));
  }

  it('adds no job for a rollout this process drives on its own fleet', async () => {
    const { decision, after } = await storedWithCanaryPatch();
    await jobs.store.recordTransition('rollout-1', { at: T0 + MINUTE, actor: ENGINE, kind: 'decision', payload: decision }, after, 0);
    expect(await jobKeys()).toEqual([]);
  });

  it('adds a job per host with the patch decision, in its transaction: a stale decision adds none', async () => {
    const { state, hosts, decision, after } = await storedWithCanaryPatch();
    await onWorkers(state);
    // Another process wrote first: the decision and its jobs are refused together.
    await expect(jobs.store.recordTransition('rollout-1', { at: T0 + MINUTE, actor: ENGINE, kind: 'decision', payload: decision }, after, 5)).rejects.toThrow();
    expect(await jobKeys()).toEqual([]);
    await jobs.store.recordTransition('rollout-1', { at: T0 + MINUTE, actor: ENGINE, kind: 'decision', payload: decision }, after, 0);
    expect(await jobKeys()).toEqual(hosts.map((h) => stepKey('rollout-1', h, 'patch')).sort());
  });

  it('keeps one job when the fleet asks for a step the decision added, and takes the answer once', async () => {
    const { state, hosts, decision, after } = await storedWithCanaryPatch();
    await onWorkers(state);
    await jobs.store.recordTransition('rollout-1', { at: T0 + MINUTE, actor: ENGINE, kind: 'decision', payload: decision }, after, 0);
    const fleet = new JobFleet({ pool: jobs.pool, rolloutId: 'rollout-1', hosts: state.hosts.map((h) => ({ id: h.id, labels: {}, version: h.version })), pollMs: 20 });
    const asked = fleet.patch(hosts[0]!);
    // The fleet's own ask found the decision's job: still one per host.
    await new Promise((r) => setTimeout(r, 100));
    expect(await jobKeys()).toEqual(hosts.map((h) => stepKey('rollout-1', h, 'patch')).sort());
    const key = stepKey('rollout-1', hosts[0]!, 'patch');
    await putResult(jobs.pool, key, 'rollout-1', { type: 'patched', hostId: hosts[0], version: 'new' }, T0);
    await expect(asked).resolves.toEqual({ type: 'patched', hostId: hosts[0], version: 'new' });
    // Taken: the version is the fleet's now, and the answer is gone.
    expect(fleet.hosts().find((h) => h.id === hosts[0])?.version).toBe('new');
    const left = await jobs.pool.query('SELECT 1 FROM patchlab_job_results WHERE key = $1', [key]);
    expect(left.rowCount).toBe(0);
    await fleet.close();
  });

  it('takes an answer that came before the ask without adding the job again', async () => {
    const state = sampleState('rollout-1', 6);
    const host = state.hosts[0]!.id;
    const fleet = new JobFleet({ pool: jobs.pool, rolloutId: 'rollout-1', hosts: state.hosts.map((h) => ({ id: h.id, labels: {}, version: h.version })) });
    await putResult(jobs.pool, stepKey('rollout-1', host, 'rollback'), 'rollout-1', { type: 'rolled-back', hostId: host, version: 'base' }, T0);
    await expect(fleet.rollback(host)).resolves.toMatchObject({ type: 'rolled-back' });
    expect(await jobKeys()).toEqual([]);
  });

  it('routes a host step to its engine: its job carries the engine flag, which workers on other engines forbid', async () => {
    const [a, b, c] = ['unix:///run/lab-1/docker.sock', 'tcp://lab-2.internal:2375', 'tcp://lab-3.internal:2375'];
    const { state, decision, after } = await storedWithCanaryPatch();
    const engineOf = new Map(state.hosts.map((h, i) => [h.id, i % 2 === 0 ? a : b]));
    await registerFleetHosts(jobs.pool, 'rollout-1', [...engineOf].map(([hostId, dockerHost]) => ({ hostId, dockerHost })));
    await jobs.store.recordTransition('rollout-1', { at: T0 + MINUTE, actor: ENGINE, kind: 'decision', payload: decision }, after, 0);
    const { rows } = await jobs.pool.query<{ key: string; flags: Record<string, true> | null }>('SELECT key, flags FROM graphile_worker.jobs');
    expect(rows.length).toBe(decision.hosts.length);
    const flagsOf = new Map(rows.map((r) => [r.key, Object.keys(r.flags ?? {})]));
    for (const host of decision.hosts) expect(flagsOf.get(stepKey('rollout-1', host, 'patch')), host).toEqual([engineFlag(engineOf.get(host)!)]);
    // A step the fleet asks for itself is routed the same way.
    const other = state.hosts.find((h) => !decision.hosts.includes(h.id))!.id;
    const client = await jobs.pool.connect();
    await addHostStep(client, { rolloutId: 'rollout-1', hostId: other, step: 'check', key: 'check-1' });
    client.release();
    const check = await jobs.pool.query<{ flags: Record<string, true> }>("SELECT flags FROM graphile_worker.jobs WHERE key = 'check-1'");
    expect(Object.keys(check.rows[0]!.flags)).toEqual([engineFlag(engineOf.get(other)!)]);
    const now = Date.now();
    await beat(jobs.pool, ['w-c'], 'c:3', now, c);
    await beat(jobs.pool, ['w-gone'], 'd:4', now - STALE_MS - 1, 'tcp://lab-4.internal:2375');
    // A worker on engine a takes a's steps only; one on c (no host yet) takes neither fleet step.
    expect((await otherEnginesFlags(jobs.pool, a)).sort()).toEqual([b, c, 'tcp://lab-4.internal:2375'].map(engineFlag).sort());
    expect((await otherEnginesFlags(jobs.pool, c)).sort()).toEqual([a, b, 'tcp://lab-4.internal:2375'].map(engineFlag).sort());
    // Only live workers' engines get a new fleet's hosts.
    expect(await liveEngines(jobs.pool, now)).toEqual([c]);
  });

  it('frees the jobs of a worker whose beat went stale, and only its', async () => {
    const client = await jobs.pool.connect();
    for (const hostId of ['web-01', 'web-02']) await addHostStep(client, { rolloutId: 'rollout-1', hostId, step: 'patch', key: stepKey('rollout-1', hostId, 'patch') });
    client.release();
    // Two workers take one job each, as graphile-worker locks them: in the name of their pool.
    await jobs.pool.query("UPDATE graphile_worker._private_jobs SET locked_by = 'dead', locked_at = now(), attempts = 1 WHERE id = (SELECT min(id) FROM graphile_worker._private_jobs)");
    await jobs.pool.query("UPDATE graphile_worker._private_jobs SET locked_by = 'alive', locked_at = now(), attempts = 1 WHERE id = (SELECT max(id) FROM graphile_worker._private_jobs)");
    const now = Date.now();
    await beat(jobs.pool, ['dead'], 'a:1', now - STALE_MS - 1);
    await beat(jobs.pool, ['alive'], 'b:2', now);
    const utils = await makeWorkerUtils({ pgPool: jobs.pool, logger: quietLogger });
    expect(await freeDeadWorkersJobs(jobs.pool, utils, now)).toEqual(['dead']);
    const locks = (await jobs.pool.query<{ locked_by: string | null }>('SELECT locked_by FROM graphile_worker.jobs ORDER BY id')).rows.map((r) => r.locked_by);
    expect(locks).toEqual([null, 'alive']);
    expect(await workersAlive(jobs.pool, now)).toBe(true);
    expect(await workersAlive(jobs.pool, now + STALE_MS + 1)).toBe(false);
    await utils.release();
  });
});

describe('dealing a fleet round the workers\' engines', () => {
  it('gives every host to exactly one engine, each engine as many as another give or take one, and none an empty share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.uniqueArray(fc.nat(99).map((n) => `tcp://lab-${n}:2375`), { minLength: 1, maxLength: 6 }), (size, engines) => {
        const ids = Array.from({ length: size }, (_, i) => `h-${i}`);
        const shares = dealHosts(ids, engines);
        expect(shares.flatMap((s) => s.only).sort()).toEqual([...ids].sort());
        const counts = shares.map((s) => s.only.length);
        if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(shares.length).toBe(Math.min(size, engines.length));
      }),
    );
  });
});

describe('which steps a transition asks for', () => {
  const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  it('a patch or rollback decision asks one step per host; nothing else asks any', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('patch-hosts', 'rollback', 'hold', 'promote', 'pause', 'complete', 'await-approval'),
        fc.uniqueArray(host, { maxLength: 8 }),
        fc.constantFrom('decision', 'host-events', 'command'),
        (action, hosts, kind) => {
          const steps = stepsAskedBy({ kind: kind as 'decision', payload: { action, hosts } });
          const step = action === 'patch-hosts' ? 'patch' : action === 'rollback' ? 'rollback' : undefined;
          expect(steps).toEqual(kind === 'decision' && step ? hosts.map((hostId) => ({ hostId, step })) : []);
        },
      ),
    );
  });
});
