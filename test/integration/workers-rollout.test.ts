import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { projectRoot } from '../../lab/config/paths.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { checkFilesFor } from '../../lab/run/check-suite.ts';
import { fleetChecks, type RolloutMeta } from '../../rollout/drive/new-rollout.ts';
import { driveRollout } from '../../rollout/drive/runner.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { ContainerFleet } from '../../rollout/fleets/containers/container-fleet.ts';
import { preparePatch } from '../../rollout/fleets/containers/prepare.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';
import { JobFleet, registerFleetHosts } from '../../rollout/fleets/jobs/job-fleet.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { runnerStore } from '../../rollout/store/runner-store.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { startPrivateDockerd, type PrivateDockerd } from './private-dockerd.ts';

/*
 * Issue 17: a coordinator without a fleet of its own drives a rollout whose host steps are jobs,
 * taken by real `patchlab worker` processes. Each half of the fleet lives on a private Docker
 * engine of its own, as on two lab machines; the queue and the stores are a throwaway PostgreSQL
 * cluster on a Unix socket. One worker is killed (SIGKILL) while apt runs in the canary host.
 */
const scenario = loadScenario(join(projectRoot, 'test/fixtures/scenarios/workers.yaml'));
const home = mkdtempSync(join(tmpdir(), 'patchlab-workers-'));
const id = `rollout-workers-${process.pid}`;
const cache = new PackageCache();
let cluster: PostgresCluster | undefined;
let database: TestDatabaseOnCluster | undefined;
let jobs: JobDatabase | undefined;
let image: ResolvedImage;
const engines: PrivateDockerd[] = [];
const workers: Worker[] = [];

interface Worker {
  child: ChildProcess;
  output: string;
}

function startWorker(url: string): Worker {
  const child = spawn(join(projectRoot, 'bin/patchlab'), ['worker', '--concurrency', '2'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATCHLAB_DATABASE_URL: url, PATCHLAB_HOME: home, PATCHLAB_CACHE: cache.root },
  });
  const worker: Worker = { child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (worker.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (worker.output += chunk.toString()));
  workers.push(worker);
  return worker;
}

const stopWorker = (w: Worker, signal: NodeJS.Signals) => {
  if (w.child.exitCode === null && w.child.signalCode === null) process.kill(-w.child.pid!, signal);
};

/** The hosts a worker finished a patch of, from its own log. */
const patchedBy = (w: Worker) => [...w.output.matchAll(/patch (\S+) \(rollout [^)]+\): patched/g)].map((m) => m[1]!);

describe('a rollout whose host steps are jobs on two workers', () => {
  let prepared: PreparedPatch;
  const where = new Map<string, PrivateDockerd>();

  beforeAll(async () => {
    image = await resolveImage('web');
    cluster = await startPostgresCluster();
    database = await cluster.createDatabase();
    jobs = await openJobDatabase(database.url);
    for (let i = 0; i < 2; i++) engines.push(await startPrivateDockerd([image.tag]));
    prepared = await preparePatch({
      runId: id,
      image: { name: 'web', tag: image.tag },
      request: scenario.patch,
      provider: new DockerHostProvider(),
      cache,
      mirror: debianMirror(image.definition?.suite ?? 'bookworm', {}),
      faults: {},
    });
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) stopWorker(w, 'SIGKILL');
    await jobs?.close();
    await database?.drop();
    await cluster?.stop();
    for (const engine of engines) await engine.destroy();
    rmSync(home, { recursive: true, force: true });
  }, 180_000);

  it('completes with its steps spread over the workers; a worker killed mid-apt has its step retried by another, which never runs apt twice', async () => {
    const { store, pool } = jobs!;
    const checks = checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f));
    // Two hosts on each engine, as two lab machines would hold them.
    const hosts = [];
    for (const [i, engine] of engines.entries()) {
      const fleet = await ContainerFleet.provision({
        rolloutId: id,
        image,
        prepared,
        cache,
        checks: await fleetChecks(checks),
        faults: new Map(),
        size: 2,
        namePrefix: `web-${'ab'[i]}`,
        docker: engine.docker,
      });
      for (const h of fleet.hosts()) where.set(h.id, engine);
      hosts.push(...fleet.hosts());
      await registerFleetHosts(pool, id, fleet.hosts().map((h) => ({ hostId: h.id, dockerHost: engine.host })));
    }
    const state = createRollout({ id, patch: { name: prepared.name, version: prepared.version, severity: scenario.severity }, hosts, rings: scenario.rings, now: Date.now() });
    const meta: RolloutMeta = { image: { name: 'web', tag: image.tag }, prepared, checks, faults: [], checkIntervalMs: scenario.checkIntervalMs };
    await store.createRollout({ state, scenario: scenario.file, policy: scenario.policy, meta: meta as unknown as Record<string, unknown> });

    const first = [startWorker(database!.url), startWorker(database!.url)];
    const fleet = new JobFleet({ pool, rolloutId: id, hosts });
    const stop = new AbortController();
    const driving = driveRollout(id, {
      store: runnerStore(store),
      fleet,
      policy: scenario.policy,
      checkIntervalMs: scenario.checkIntervalMs,
      onObservations: (batch) => store.recordObservations(id, batch),
      signal: stop.signal,
    });

    // The canary's patch: wait until apt or dpkg runs inside it, then kill the worker that started it.
    const canary = state.rings[0]!.hostIds[0]!;
    const engine = where.get(canary)!;
    const container = (await engine.docker.listContainers({ filters: { label: [`${RUN_LABEL}=${id}`, `patchlab.fleet-host=${canary}`] } }))[0]!;
    const deadline = Date.now() + 240_000;
    let victim: Worker | undefined;
    for (;;) {
      victim = first.find((w) => w.output.includes(`patch ${canary} (rollout ${id}): started`));
      if (victim && (await aptRunsIn(engine, container.Id))) break;
      if (Date.now() > deadline) throw new Error(`apt never ran in the canary ${canary}:\n${first.map((w) => w.output).join('\n---\n')}`);
      await sleep(50);
    }
    stopWorker(victim, 'SIGKILL');
    const before = await store.transitions(id);
    const survivor = first.find((w) => w !== victim)!;
    // A lab machine's worker restarted, as systemd would: the broad ring then has two workers again.
    const replacement = startWorker(database!.url);

    const final = await Promise.race([driving, sleep(300_000).then(() => undefined)]);
    stop.abort();
    const why = final?.audit.filter((e) => e.action !== 'patch-hosts').map((e) => `${e.action}: ${e.reasons.join('; ')}`).join('\n');
    expect(final?.phase, `the rollout (${why}); workers' logs:\n${workers.map((w) => w.output).join('\n---\n')}`).toBe('completed');
    expect(final!.hosts.every((h) => h.version === prepared.version)).toBe(true);

    // The dead worker finished nothing; a live one took the canary's step back and finished it
    // (the survivor or the replacement, whichever the queue gave it to), and the steps of the
    // rollout were spread over both live workers.
    const live = [survivor, replacement];
    expect(patchedBy(victim)).toEqual([]);
    expect(live.flatMap(patchedBy)).toContain(canary);
    expect(live.map((w) => w.output).join('\n')).toMatch(/took back the jobs of 1 silent worker/);
    expect([...new Set(live.flatMap(patchedBy))].sort()).toEqual(hosts.map((h) => h.id).sort());
    for (const w of live) expect(patchedBy(w).length, `hosts one live worker patched`).toBeGreaterThan(0);

    // Every host upgraded each package of the patch exactly once, the canary included.
    for (const hostId of hosts.map((h) => h.id)) {
      const upgrades = await dpkgUpgrades(where.get(hostId)!, hostId);
      for (const p of prepared.packages) expect(upgrades.filter((u) => u === `${p.name} ${p.to}`), `${hostId}: upgrades of ${p.name}`).toHaveLength(1);
    }

    // Nothing stored before the kill was lost or rewritten; the last step is the stored state.
    const after = await store.transitions(id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect((await store.loadRollout(id))!.seq).toBe(after.length);
    await fleet.close();
    for (const w of workers) stopWorker(w, 'SIGTERM');
  }, 600_000);
});

/** Whether apt-get or dpkg runs in the container now. */
async function aptRunsIn(engine: PrivateDockerd, containerId: string): Promise<boolean> {
  const exec = await engine.docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', 'grep -qsxE "dpkg|apt-get" /proc/[0-9]*/comm'] });
  await new Promise<void>((resolve, reject) => exec.start({}, (error, stream) => (error ? reject(error) : stream!.on('end', resolve).resume())));
  return (await exec.inspect()).ExitCode === 0;
}

/** "package new-version" for each upgrade /var/log/dpkg.log of a fleet host records. */
async function dpkgUpgrades(engine: PrivateDockerd, hostId: string): Promise<string[]> {
  const [container] = await engine.docker.listContainers({ filters: { label: [`${RUN_LABEL}=${id}`, `patchlab.fleet-host=${hostId}`] } });
  const exec = await engine.docker.getContainer(container!.Id).exec({ Cmd: ['cat', '/var/log/dpkg.log'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  engine.docker.modem.demuxStream(stream, out, new PassThrough());
  await new Promise<void>((resolve) => stream.on('end', () => resolve()));
  // "2026-12-07 08:40:01 upgrade tzdata:all 2024a-0+deb12u1 2025b-0+deb12u1"
  return [...Buffer.concat(chunks).toString('utf8').matchAll(/^\S+ \S+ upgrade ([^: ]+)\S* \S+ (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
}
