import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { projectRoot } from '../../lab/config/paths.ts';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { sha256 } from '../../lab/images/hash.ts';
import { takeResult } from '../../lab/jobs/job-results.ts';
import { archiveDebs, fillPinnedFiles } from '../../lab/patches/cache-fill.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { localPathOf } from '../../lab/patches/pinned-files.ts';
import { checkFilesFor } from '../../lab/run/check-suite.ts';
import { fleetChecks, type RolloutMeta } from '../../rollout/drive/new-rollout.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import type { HostEvent } from '../../rollout/engine/transitions.ts';
import { ContainerFleet } from '../../rollout/fleets/containers/container-fleet.ts';
import { preparePatch } from '../../rollout/fleets/containers/prepare.ts';
import { FLEET_HOST_LABEL } from '../../rollout/fleets/containers/start-hosts.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';
import { stepKey } from '../../rollout/fleets/jobs/host-steps.ts';
import { registerFleetHosts } from '../../rollout/fleets/jobs/job-fleet.ts';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { hostStepTask } from '../../rollout/worker/host-step-task.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';

/*
 * Issue 17 item 5: each worker has a package cache of its own. The coordinator prepares the patch
 * (real security updates from the mirror of this machine's apt sources) in its cache; three
 * workers' host-step tasks, each with its own cache, patch one host each, every host mounting its
 * worker's cache as a fleet started by that worker does:
 * - A: the coordinator's own cache;
 * - B: an empty cache, filled from the mirror once, with exactly the plan's pinned files;
 * - C: a cache whose copy of one pinned file has other bytes: refused, nothing installed.
 * The queue's answers go through a throwaway PostgreSQL cluster, as between real workers.
 */
const scenario = loadScenario(join(projectRoot, 'test/fixtures/scenarios/workers.yaml'));
const id = `rollout-cachefill-${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-cachefill-'));
const coordinatorCache = new PackageCache();
// Each under a folder of its own: the cache's lock folder is its sibling.
const emptyCache = new PackageCache(join(scratch, 'b', 'cache'));
const alteredCache = new PackageCache(join(scratch, 'c', 'cache'));
const engine = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
let cluster: PostgresCluster | undefined;
let database: TestDatabaseOnCluster | undefined;
let jobs: JobDatabase | undefined;
const fleets: ContainerFleet[] = [];

describe("a worker's own package cache", () => {
  let image: ResolvedImage;
  let prepared: PreparedPatch;
  const hostOf = new Map<PackageCache, string>();

  beforeAll(async () => {
    image = await resolveImage('web');
    cluster = await startPostgresCluster();
    database = await cluster.createDatabase();
    jobs = await openJobDatabase(database.url);
    prepared = await preparePatch({
      runId: id,
      image: { name: 'web', tag: image.tag },
      request: scenario.patch,
      provider: new DockerHostProvider(),
      cache: coordinatorCache,
      mirror: debianMirror(image.definition?.suite ?? 'bookworm', {}),
      faults: {},
    });
    const checks = checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f));
    for (const [i, cache] of [coordinatorCache, emptyCache, alteredCache].entries()) {
      const fleet = await ContainerFleet.provision({ rolloutId: id, image, prepared, cache, checks: await fleetChecks(checks), faults: new Map(), size: 1, namePrefix: `web-${'abc'[i]}` });
      fleets.push(fleet);
      const hostId = fleet.hosts()[0]!.id;
      hostOf.set(cache, hostId);
      await registerFleetHosts(jobs.pool, id, [{ hostId, dockerHost: engine }]);
    }
    const hosts = fleets.flatMap((f) => f.hosts());
    const state = createRollout({ id, patch: { name: prepared.name, version: prepared.version, severity: scenario.severity }, hosts, rings: scenario.rings, now: Date.now() });
    const meta: RolloutMeta = { image: { name: 'web', tag: image.tag }, prepared, checks, faults: [], checkIntervalMs: scenario.checkIntervalMs };
    await jobs.store.createRollout({ state, scenario: scenario.file, policy: scenario.policy, meta: meta as unknown as Record<string, unknown> });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    await jobs?.close();
    await database?.drop();
    await cluster?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  /** One worker's host step, run as the queue would run it, and its answer. */
  async function step(
    cache: PackageCache,
    log: string[],
    which: 'patch' | 'rollback',
    task = hostStepTask({ pool: jobs!.pool, store: jobs!.store, cache, progress: (m) => log.push(m) }),
    hostId = hostOf.get(cache)!,
  ) {
    const key = stepKey(id, hostId, which);
    await task({ rolloutId: id, hostId, step: which, key });
    return { answer: (await takeResult(jobs!.pool, key)) as HostEvent, task };
  }

  const pinnedArchives = () => archiveDebs(prepared.sha256!);

  it('fills an empty cache from the mirror once, with exactly the pinned files, and patches and rolls back from it', async () => {
    expect(pinnedArchives().length).toBeGreaterThan(0);
    expect(pinnedArchives().some((d) => existsSync(localPathOf(emptyCache.root, d.path)))).toBe(false);
    const log: string[] = [];
    const patched = await step(emptyCache, log, 'patch');
    expect(patched.answer, log.join('\n')).toMatchObject({ type: 'patched', version: prepared.version });
    // Every file the plan pins from the archives is there, with the pinned bytes; nothing else was fetched.
    for (const d of pinnedArchives()) expect(sha256(readFileSync(localPathOf(emptyCache.root, d.path))), d.path).toBe(prepared.sha256![d.path]);
    const debs = readdirSync(join(emptyCache.root, 'archives')).filter((f) => f.endsWith('.deb'));
    expect(debs.sort()).toEqual(pinnedArchives().map((d) => d.path.split('/').pop()!).sort());
    // The rollback installs the versions it replaced, from the same fill: no second fetch.
    const rolledBack = await step(emptyCache, log, 'rollback', patched.task);
    expect(rolledBack.answer, log.join('\n')).toMatchObject({ type: 'rolled-back' });
    expect(log.filter((l) => /fetching \d+ pinned file/.test(l))).toHaveLength(1);
    expect(log.join('\n')).not.toMatch(/reads the package cache at/);
    // A worker started again on the filled cache opens no fetcher at all.
    const refill = await fillPinnedFiles(emptyCache.root, prepared.sha256!, () => Promise.reject(new Error('the mirror was asked again')));
    expect(refill.fetched).toEqual([]);
  }, 300_000);

  it("patches from the coordinator's own cache with no fetch", async () => {
    const log: string[] = [];
    const { answer } = await step(coordinatorCache, log, 'patch');
    expect(answer, log.join('\n')).toMatchObject({ type: 'patched', version: prepared.version });
    expect(log.join('\n')).not.toMatch(/fetching|reads the package cache at/);
    // A worker whose cache is not the one the host mounts says so: its fill cannot reach that host.
    const other: string[] = [];
    const again = await step(emptyCache, other, 'patch', undefined, hostOf.get(coordinatorCache));
    expect(again.answer).toMatchObject({ type: 'patched', version: prepared.version });
    expect(other.join('\n')).toContain(`reads the package cache at ${coordinatorCache.root} on its engine's machine, not this worker's ${emptyCache.root}`);
  }, 300_000);

  it('refuses a cached file whose bytes differ from the pin, naming the package and both sums, and installs nothing', async () => {
    for (const path of Object.keys(prepared.sha256!)) {
      const target = localPathOf(alteredCache.root, path);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(localPathOf(coordinatorCache.root, path), target);
    }
    const victim = pinnedArchives().find((d) => prepared.installFiles.includes(d.path))!;
    const altered = Buffer.concat([readFileSync(localPathOf(alteredCache.root, victim.path)), Buffer.from('not the pinned bytes')]);
    writeFileSync(localPathOf(alteredCache.root, victim.path), altered);
    const log: string[] = [];
    const { answer } = await step(alteredCache, log, 'patch');
    expect(answer.type, log.join('\n')).toBe('patch-failed');
    const reason = answer.type === 'patch-failed' ? answer.reason : '';
    expect(reason).toContain(`${victim.name} (${victim.path.split('/').pop()}): expected sha256 ${prepared.sha256![victim.path]}, got ${sha256(altered)}`);
    // Refused by the worker from its own cache, before the host was asked to install anything.
    expect(reason).toContain(`package cache ${alteredCache.root}`);
    expect(reason).toMatch(/nothing was installed/);
    // The host is still on every version it started from.
    const host = fleets[2]!;
    const versions = await (await new DockerHostProvider().attach(await containerOf(hostOf.get(alteredCache)!))).exec(['dpkg-query', '-W', '-f', '${Package} ${Version}\\n', ...prepared.packages.map((p) => p.name)]);
    for (const p of prepared.packages) expect(versions.stdout).toContain(`${p.name} ${p.from}`);
    expect(host.hosts()[0]!.version).toBe(prepared.baseVersion);
  }, 300_000);
});

async function containerOf(hostId: string): Promise<string> {
  const [container] = await dockerClient().listContainers({ filters: { label: [`${RUN_LABEL}=${id}`, `${FLEET_HOST_LABEL}=${hostId}`] } });
  if (!container) throw new Error(`no container for ${hostId}`);
  return container.Id;
}
