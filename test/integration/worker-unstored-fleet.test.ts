import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { KEEP_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { engineOf } from '../../lab/jobs/engine-routing.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { storeTag, STORE_LABEL } from '../../rollout/drive/new-rollout.ts';
import { FLEET_HOST_LABEL } from '../../rollout/fleets/containers/start-hosts.ts';
import { askFleetHosts } from '../../rollout/fleets/jobs/fleet-jobs.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { useJobDatabase } from '../contract/job-database-fixture.ts';
import { sampleState } from '../fixtures/store/samples.ts';
import { spawnPatchlab, stopPatchlab, until, WORKER_READY, type PatchlabProcess } from './patchlab-process.ts';

/*
 * A coordinator that died after its workers started a rollout's fleet, and never stored the
 * rollout: the test process plays that coordinator (it asks for the hosts with the coordinator's
 * own call, then stores nothing). Two real `patchlab worker` processes on the host's engine, a
 * throwaway PostgreSQL cluster: one of them removes those hosts once the grace has passed and
 * says so once; a stored rollout's hosts, a leased one's, and containers patchlab did not make
 * for this store stay. The store's tag is unique to this test's database, so nothing else on the
 * engine is judged.
 */
const GRACE = '3s';
const home = mkdtempSync(join(tmpdir(), 'patchlab-unstored-'));
const docker = dockerClient();
const engine = engineOf();
const suffix = `${process.pid}`;
const unstored = `rollout-unstored-${suffix}`;
const stored = `rollout-stored-${suffix}`;
const leased = `rollout-leased-${suffix}`;
const fixture = useJobDatabase();
const workers: PatchlabProcess[] = [];
const strangers: string[] = [];

function startWorker() {
  const env = { PATCHLAB_DATABASE_URL: fixture().database.url, PATCHLAB_HOME: home, PATCHLAB_UNSTORED_FLEET_GRACE: GRACE };
  const worker = spawnPatchlab(['worker', '--concurrency', '1', '--docker-host', engine], env);
  workers.push(worker);
  return worker;
}

const fleetOf = async (rolloutId: string) => (await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rolloutId}`, FLEET_HOST_LABEL] } })).map((c) => c.Labels[FLEET_HOST_LABEL]).sort();

/** The coordinator's ask for a share of the fleet, as newRolloutOnWorkers makes it. */
const startHosts = (rolloutId: string, only: string[]) =>
  askFleetHosts(fixture().jobs.pool, {
    action: 'start',
    rolloutId,
    dockerHost: engine,
    image: 'web',
    size: 2,
    groups: [],
    namePrefix: 'web',
    only,
    faults: [],
    labels: { [STORE_LABEL]: storeTag(fixture().jobs.store) },
  });

describe('a worker removes the fleet of a rollout that was started and never stored', () => {
  beforeAll(async () => {
    await resolveImage('web');
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) stopPatchlab(w, 'SIGKILL');
    for (const id of [unstored, stored, leased]) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    }
    for (const id of strangers) await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('removes them after the grace, logged once with the rollout and its hosts; a stored or leased rollout and strangers stay', async () => {
    const { store, pool } = fixture().jobs;
    const first = [startWorker(), startWorker()];
    for (const w of first) await until(() => WORKER_READY.test(w.output), () => w.output);
    const logs = () => workers.map((w) => w.output).join('\n---\n');

    // Not this project's for this store: a bare container, and a fleet host of another store.
    const { tag } = await resolveImage('web');
    for (const labels of [{} as Record<string, string>, { [RUN_LABEL]: unstored, [KEEP_LABEL]: unstored, [FLEET_HOST_LABEL]: 'web-09', [STORE_LABEL]: 'another-store' }]) {
      const c: { id: string } = await docker.createContainer({ Image: tag, Cmd: ['sleep', 'infinity'], Labels: labels, name: `patchlab-test-stranger-${strangers.length}-${suffix}` });
      strangers.push(c.id);
    }

    // The stored rollout's and the leased one's hosts are started first: they are past the grace as soon as the unstored one's are.
    expect(await startHosts(stored, ['web-01'])).toEqual(['web-01']);
    await store.createRollout({ state: sampleState(stored), scenario: 'workers.yaml', policy: STANDARD_POLICY, meta: {} });
    expect(await startHosts(leased, ['web-01'])).toEqual(['web-01']);
    // A coordinator still starting its rollout holds the lease: an hour here, as if it were slow to prepare.
    await store.claimLease(leased, 'coordinator:1:1', Date.now(), 3_600_000);
    expect((await startHosts(unstored, ['web-01', 'web-02'])).sort()).toEqual(['web-01', 'web-02']);
    expect(await fleetOf(unstored)).toEqual(['web-01', 'web-02', 'web-09']);

    await until(() => /removed 2 host\(s\) of rollout rollout-unstored-/.test(logs()), logs, 90_000);
    const said = logs().split('\n').filter((line) => line.includes(`of rollout ${unstored}`) && line.includes('removed'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('web-01, web-02');
    expect(said[0]).toMatch(/no rollout of that id is stored/);
    // Only the other store's container of that id is left.
    expect(await fleetOf(unstored)).toEqual(['web-09']);
    expect((await pool.query('SELECT host_id FROM patchlab_fleet_hosts WHERE rollout_id = $1', [unstored])).rows).toEqual([]);

    // A few more looks by both workers: nothing else goes, and nothing is said again.
    await sleep(5_000);
    expect(await fleetOf(stored)).toEqual(['web-01']);
    expect(await fleetOf(leased)).toEqual(['web-01']);
    for (const id of strangers) expect((await docker.getContainer(id).inspect()).Id).toBe(id);
    expect(logs().split('\n').filter((line) => /removed \d+ host\(s\) of rollout/.test(line))).toHaveLength(1);
    for (const w of workers) stopPatchlab(w, 'SIGTERM');
  }, 240_000);
});

