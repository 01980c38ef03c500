import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { RolloutMeta } from '../../rollout/drive/new-rollout.ts';
import { removeFleetOnWorkers } from '../../rollout/drive/new-rollout-on-workers.ts';
import { FLEET_HOST_LABEL } from '../../rollout/fleets/containers/start-hosts.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { startPrivateDockerd, type PrivateDockerd } from './private-dockerd.ts';

/*
 * Issue 17: a coordinator without a Docker engine (its DOCKER_HOST names a socket that does not
 * exist) runs `patchlab rollout start`; real `patchlab worker` processes prepare the patch, start
 * the fleet and take its host steps. Each worker sits beside a private Docker engine of its own,
 * as on two lab machines, and the fleet is dealt over both; the queue and the stores are a
 * throwaway PostgreSQL cluster on a Unix socket. One worker is killed (SIGKILL) while apt runs in
 * the canary host, and a worker restarted on its engine takes the step back.
 */
const scenarioFile = join(projectRoot, 'test/fixtures/scenarios/workers.yaml');
const home = mkdtempSync(join(tmpdir(), 'patchlab-workers-'));
const id = `rollout-workers-${process.pid}`;
const cache = new PackageCache();
let cluster: PostgresCluster | undefined;
let database: TestDatabaseOnCluster | undefined;
let jobs: JobDatabase | undefined;
let image: ResolvedImage;
const engines: PrivateDockerd[] = [];
const workers: Child[] = [];

interface Child {
  child: ChildProcess;
  output: string;
}

/** A patchlab process of the test's: its own home, the shared cache and the throwaway database. */
function patchlab(args: string[], env: Record<string, string>): Child {
  const child = spawn(join(projectRoot, 'bin/patchlab'), args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATCHLAB_DATABASE_URL: database!.url, PATCHLAB_HOME: home, PATCHLAB_CACHE: cache.root, ...env },
  });
  const process_: Child = { child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (process_.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (process_.output += chunk.toString()));
  return process_;
}

function startWorker(engine: PrivateDockerd): Child {
  const worker = patchlab(['worker', '--concurrency', '2', '--docker-host', engine.host], {});
  workers.push(worker);
  return worker;
}

/** The coordinator: no Docker engine at all. */
const noEngine = () => ({ DOCKER_HOST: `unix://${join(home, 'no-engine', 'docker.sock')}` });

const stopChild = (w: Child, signal: NodeJS.Signals) => {
  if (w.child.exitCode === null && w.child.signalCode === null) process.kill(-w.child.pid!, signal);
};

const exited = (c: Child) => new Promise<number | null>((resolve) => (c.child.exitCode !== null || c.child.signalCode !== null ? resolve(c.child.exitCode) : c.child.once('exit', (code) => resolve(code))));

/** The hosts a worker finished a patch of, from its own log. */
const patchedBy = (w: Child) => [...w.output.matchAll(/patch (\S+) \(rollout [^)]+\): patched/g)].map((m) => m[1]!);

/** The containers of the rollout on an engine. */
const fleetOn = async (engine: PrivateDockerd) => engine.docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`, FLEET_HOST_LABEL] } });

describe('a rollout whose coordinator has no Docker engine: the workers prepare, start and patch', () => {
  beforeAll(async () => {
    image = await resolveImage('web');
    cluster = await startPostgresCluster();
    database = await cluster.createDatabase();
    jobs = await openJobDatabase(database.url);
    for (let i = 0; i < 2; i++) engines.push(await startPrivateDockerd([image.tag]));
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) stopChild(w, 'SIGKILL');
    await jobs?.close();
    await database?.drop();
    await cluster?.stop();
    for (const engine of engines) await engine.destroy();
    rmSync(home, { recursive: true, force: true });
  }, 180_000);

  it('refuses to start without a live worker, naming the missing engine and worker', async () => {
    const refused = patchlab(['rollout', 'start', scenarioFile, '--id', `${id}-refused`], noEngine());
    expect(await exited(refused)).not.toBe(0);
    expect(refused.output).toMatch(/no patchlab worker is live in the database/);
    expect(refused.output).toContain(join(home, 'no-engine', 'docker.sock'));
  }, 60_000);

  it('completes with its hosts on both engines; a worker killed mid-apt has its step retried on its engine, which never runs apt twice', async () => {
    const { store, pool } = jobs!;
    const first = engines.map(startWorker);
    // Workers first, as on lab machines: a coordinator that finds none live would need an engine of its own.
    for (const w of first) await until(() => /worker \S+: \d+ job\(s\) at once/.test(w.output), `worker start:\n${w.output}`);
    const coordinator = patchlab(['rollout', 'start', scenarioFile, '--id', id, '--keep'], noEngine());
    const logs = () => [coordinator, ...workers].map((w) => w.output).join('\n---\n');

    // Once stored, the rollout names its canary; the workers registered where each host lives.
    const deadline = Date.now() + 300_000;
    let stored = await store.loadRollout(id);
    for (; !stored; stored = await store.loadRollout(id)) {
      if (Date.now() > deadline || coordinator.child.exitCode !== null) throw new Error(`the rollout was never stored:\n${logs()}`);
      await sleep(200);
    }
    const { rows } = await pool.query<{ host_id: string; docker_host: string }>('SELECT host_id, docker_host FROM patchlab_fleet_hosts WHERE rollout_id = $1', [id]);
    const where = new Map(rows.map((r) => [r.host_id, engines.find((e) => e.host === r.docker_host)!]));
    const hosts = stored.state.hosts.map((h) => h.id);
    expect([...where.keys()].sort()).toEqual([...hosts].sort());
    expect(new Set(where.values()).size, 'engines the fleet lives on').toBe(2);
    const meta = stored.meta as unknown as RolloutMeta;
    const prepared = meta.prepared;
    // The worker's preparation is the stored one, every file it installs pinned by sha256.
    for (const file of prepared.installFiles) expect(prepared.sha256?.[file], `pin of ${file}`).toMatch(/^[0-9a-f]{64}$/);

    // The canary's patch: wait until apt or dpkg runs inside it, then kill the worker on its engine.
    const canary = stored.state.rings[0]!.hostIds[0]!;
    const engine = where.get(canary)!;
    const victim = first[engines.indexOf(engine)]!;
    const container = (await engine.docker.listContainers({ filters: { label: [`${RUN_LABEL}=${id}`, `${FLEET_HOST_LABEL}=${canary}`] } }))[0]!;
    if (!(await aptStartsIn(engine, container.Id, Math.max(1, Math.ceil((deadline - Date.now()) / 1000))))) {
      throw new Error(`apt never ran in the canary ${canary}:\n${logs()}`);
    }
    stopChild(victim, 'SIGKILL');
    expect(victim.output).toContain(`patch ${canary} (rollout ${id}): started`);
    const before = await store.transitions(id);
    const survivor = first.find((w) => w !== victim)!;
    // The lab machine's worker restarted, as systemd would: only a worker on that engine may take its hosts' steps.
    const replacement = startWorker(engine);

    const code = await Promise.race([exited(coordinator), sleep(300_000).then(() => 'timeout')]);
    const final = (await store.loadRollout(id))!.state;
    const why = final.audit.filter((e) => e.action !== 'patch-hosts').map((e) => `${e.action}: ${e.reasons.join('; ')}`).join('\n');
    expect(final.phase, `the rollout (${why}); logs:\n${logs()}`).toBe('completed');
    expect(code).toBe(0);
    expect(final.hosts.every((h) => h.version === prepared.version)).toBe(true);

    // The dead worker finished nothing; the one restarted on its engine took the canary's step
    // back, and each live worker patched the hosts of its own engine.
    expect(patchedBy(victim)).toEqual([]);
    expect(patchedBy(replacement)).toContain(canary);
    expect([survivor, replacement].map((w) => w.output).join('\n')).toMatch(/took back the jobs of 1 silent worker/);
    expect(patchedBy(survivor).sort()).toEqual(hosts.filter((h) => where.get(h) !== engine).sort());
    expect(patchedBy(replacement).sort()).toEqual(hosts.filter((h) => where.get(h) === engine).sort());

    // Every host upgraded each package of the patch exactly once, the canary included.
    for (const hostId of hosts) {
      const upgrades = await dpkgUpgrades(where.get(hostId)!, hostId);
      for (const p of prepared.packages) expect(upgrades.filter((u) => u === `${p.name} ${p.to}`), `${hostId}: upgrades of ${p.name}`).toHaveLength(1);
    }

    // Nothing stored before the kill was lost or rewritten; the last step is the stored state.
    const after = await store.transitions(id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect((await store.loadRollout(id))!.seq).toBe(after.length);

    // --keep kept the fleet; removing it is a job for a worker on each engine, as at a rollout's end without --keep.
    for (const e of engines) expect((await fleetOn(e)).length).toBeGreaterThan(0);
    await removeFleetOnWorkers(pool, id, () => undefined);
    for (const e of engines) expect(await fleetOn(e)).toEqual([]);
    expect((await pool.query('SELECT 1 FROM patchlab_fleet_hosts WHERE rollout_id = $1', [id])).rows).toEqual([]);
    for (const w of workers) stopChild(w, 'SIGTERM');
  }, 600_000);
});

async function until(done: () => boolean, what: string, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done(); await sleep(100)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Whether apt-get or dpkg started in the container within the time: the loop runs inside it, since
 * an exec per look takes seconds under load, longer than tzdata's whole dpkg run.
 */
async function aptStartsIn(engine: PrivateDockerd, containerId: string, seconds: number): Promise<boolean> {
  const look = 'until grep -qsxE "dpkg|apt-get" /proc/[0-9]*/comm; do sleep 0.02; done';
  // Attached, so the stream lasts as long as the loop does.
  const exec = await engine.docker.getContainer(containerId).exec({ Cmd: ['timeout', String(seconds), 'sh', '-c', look], AttachStdout: true, AttachStderr: true });
  await new Promise<void>((resolve, reject) => exec.start({}, (error, stream) => (error ? reject(error) : stream!.on('end', resolve).resume())));
  for (;;) {
    const { Running, ExitCode } = await exec.inspect();
    if (!Running) return ExitCode === 0;
    await sleep(20);
  }
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
