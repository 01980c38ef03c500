import Docker from 'dockerode';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import type { HostEvent } from '../../rollout/engine/transitions.ts';
import type { DriverLease } from '../../rollout/store/lease-store.ts';
import { openPostgresStore } from '../../rollout/store/postgres-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import type { StoredTransition } from '../../rollout/store/rollout-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';

/*
 * Three `patchlab rollout start` coordinators drive one rollout in turn through a throwaway
 * PostgreSQL cluster, on six real containers. The first is stopped (SIGSTOP) mid-patch: the
 * second is refused while the first's lease lasts, then takes over; the first, woken (SIGCONT),
 * is refused by the epoch and exits, leaving the fleet. The second is then killed (kill -9) mid-
 * rollout: the third is refused until that lease expires, then completes the rollout. Every
 * stored transition survives unchanged, and dpkg upgraded each host once.
 */
const docker = new Docker();
const bin = join(projectRoot, 'bin/patchlab');
const scenario = join(projectRoot, 'test/fixtures/scenarios/takeover.yaml');
const home = mkdtempSync(join(tmpdir(), 'patchlab-takeover-'));
const id = `rollout-takeover-${process.pid}`;
// Longer than a coordinator takes to start on a loaded machine, so the refusal before expiry is one.
const TTL_S = 45;
let cluster: PostgresCluster | undefined;
let database: TestDatabaseOnCluster | undefined;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

const containersOf = () => docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } });

beforeAll(async () => {
  cluster = await startPostgresCluster();
  database = await cluster.createDatabase();
  env = {
    ...process.env,
    PATCHLAB_HOME: home,
    PATCHLAB_CACHE: new PackageCache().root,
    PATCHLAB_DATABASE_URL: database.url,
    PATCHLAB_LEASE_TTL: String(TTL_S),
    PATCHLAB_LEASE_RENEW: '3',
  };
}, 120_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGCONT');
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
  await Promise.all((await containersOf()).map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  await cluster?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** A coordinator in its own process group, so a signal reaches node behind the bash wrapper. */
function coordinator(...extra: string[]) {
  const child = spawn(bin, ['rollout', 'start', scenario, '--id', id, ...extra], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, signal: (name: NodeJS.Signals) => process.kill(-child.pid!, name) };
}

/** A coordinator that must be refused at once: the rollout's lease is someone else's. */
async function refusedCoordinator(): Promise<string> {
  const result = await promisify(execFile)(bin, ['rollout', 'start', scenario, '--id', id], { env }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  expect(result.code, result.stderr).toBe(2);
  return result.stderr;
}

async function until<T>(what: string, look: () => Promise<T | undefined | false>, log: () => string, ms = 240_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; await sleep(200)) {
    const found = await look().catch(() => undefined);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what} never happened:\n${log()}`);
  }
}

const leaseOf = async (store: Store): Promise<DriverLease | undefined> => (await store.liveLeases(Date.now())).find((l) => l.rolloutId === id);
const pidOf = (lease: DriverLease) => lease.owner.split(':')[1];

/** Each later look at the transitions starts with everything an earlier one saw: nothing lost or rewritten. */
function expectPrefix(earlier: StoredTransition[], later: StoredTransition[]): void {
  expect(later.slice(0, earlier.length)).toEqual(earlier);
}

describe('coordinators of one rollout on a shared PostgreSQL database', () => {
  it('hand the rollout over only once a lease expires, refuse a woken old coordinator by its epoch, and lose no transition', async () => {
    const store = await openPostgresStore(database!.url);
    try {
      // 1. A drives until the canary host is mid-patch, then stops as if frozen.
      const a = coordinator();
      await until('canary patching', async () => (await store.loadRollout(id))?.state.hosts.some((h) => h.phase === 'patching'), a.out);
      const leaseA = (await leaseOf(store))!;
      expect(leaseA.epoch).toBe(1);
      a.signal('SIGSTOP');
      const seenAtStop = await store.transitions(id);

      // 2. B, while A's lease lasts: refused, naming A.
      expect(await refusedCoordinator()).toMatch(new RegExp(`rollout ${id} is already driven by patchlab process ${pidOf(leaseA)} on .*; .*its lease expires in \\d+ s`));
      expect((await leaseOf(store))?.epoch).toBe(1);

      // 3. Once A's lease has expired, B takes over with epoch 2 and drives.
      const expiry = (await store.liveLeases(0)).find((l) => l.rolloutId === id)!.expiresAt;
      await sleep(Math.max(0, expiry - Date.now() + 500));
      const b = coordinator();
      const leaseB = await until('B taking over', async () => {
        const lease = await leaseOf(store);
        return lease !== undefined && lease.epoch === 2 && (await store.transitions(id)).length > seenAtStop.length && lease;
      }, b.out);
      expect(pidOf(leaseB)).not.toBe(pidOf(leaseA));
      const seenAtTakeover = await store.transitions(id);
      expectPrefix(seenAtStop, seenAtTakeover);

      // 4. A wakes: refused by the epoch, it exits without touching the fleet B now drives.
      a.signal('SIGCONT');
      expect(await a.exited, a.out()).toBe(2);
      expect(a.out()).toContain(`rollout ${id}: this driver's lease (epoch 1) was taken over by another process (it is at epoch 2`);
      expect(await containersOf()).toHaveLength(6);
      expect((await leaseOf(store))?.epoch).toBe(2);

      // 5. B is killed mid-rollout: the pilot ring patched and soaking, the broad ring still to go.
      await until('pilot soaking', async () => {
        const state = (await store.loadRollout(id))?.state;
        return state !== undefined && state.ring === 1 && state.hosts.filter((h) => h.ring === 1).every((h) => h.phase === 'healthy');
      }, () => `B:\n${b.out()}\nA:\n${a.out()}`);
      b.signal('SIGKILL');
      await b.exited;
      const seenAtKill = await store.transitions(id);
      expectPrefix(seenAtTakeover, seenAtKill);

      // 6. C is refused while B's lease lasts (a dead process on a shared database is waited out), then completes it.
      expect(await refusedCoordinator()).toMatch(new RegExp(`already driven by patchlab process ${pidOf(leaseB)} `));
      const expiryB = (await store.liveLeases(0)).find((l) => l.rolloutId === id)!.expiresAt;
      await sleep(Math.max(0, expiryB - Date.now() + 500));
      const c = coordinator('--keep');
      expect(await c.exited, c.out()).toBe(0);
      const record = (await store.loadRollout(id))!;
      expect(record.state.phase).toBe('completed');
      expect(record.state.hosts.every((h) => h.phase === 'healthy' && h.version === record.state.patch.version)).toBe(true);
      expect(await store.liveLeases(Date.now())).toEqual([]);

      const all = await store.transitions(id);
      expectPrefix(seenAtKill, all);
      expect(all.map((t) => t.seq)).toEqual(all.map((_, i) => i + 1));
      // Each host sent to patch once, reported patched once, and upgraded once by dpkg.
      const sent = all.flatMap((t) => (t.kind === 'decision' && (t.payload as Decision).action === 'patch-hosts' ? (t.payload as Extract<Decision, { action: 'patch-hosts' }>).hosts : []));
      const hostIds = record.state.hosts.map((h) => h.id).sort();
      expect(sent.sort()).toEqual(hostIds);
      const patched = all.flatMap((t) => (t.kind === 'host-events' ? (t.payload as HostEvent[]).filter((e) => e.type === 'patched').map((e) => e.hostId) : []));
      expect(patched.sort()).toEqual(hostIds);
      // B and C each stored when they took over, and so counted no check timeout across the time nobody drove.
      const takeOvers = all.filter((t) => t.kind === 'command' && (t.payload as { name: string }).name === 'take-over');
      expect(takeOvers.map((t) => t.actor)).toEqual([leaseB.owner, expect.not.stringMatching(`^${leaseB.owner}$`)]);
      expect(record.state.takeOvers).toEqual(takeOvers.map((t) => t.at));
      expect(record.state.hosts.filter((h) => h.failure !== null)).toEqual([]);
      const provider = new DockerHostProvider(docker);
      const kept = await containersOf();
      expect(kept).toHaveLength(6);
      for (const container of kept) {
        const host = await provider.attach(container.Id);
        const log = await host.exec(['grep', '-c', ' upgrade tzdata:', '/var/log/dpkg.log']);
        expect(`${container.Names[0]}: ${log.stdout.trim()}`).toBe(`${container.Names[0]}: 1`);
      }
      await promisify(execFile)(bin, ['lab', 'reap', '--run', id], { env });
      expect(await containersOf()).toEqual([]);
    } finally {
      await store.close();
    }
  }, 900_000);
});
