import Docker from 'dockerode';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { ownerToken, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { GONE_REASON } from '../../rollout/engine/hosts-gone.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { loadScenario } from '../../scenarios/load.ts';

const docker = new Docker();
const bin = join(projectRoot, 'bin/patchlab');
const home = mkdtempSync(join(tmpdir(), 'patchlab-serve-drives-'));
const cache = new PackageCache();
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: cache.root };
const id = `rollout-undriven-${process.pid}`;
const goneId = `rollout-gone-${process.pid}`;
const containersOf = (rollout: string) => docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rollout}`] } });

afterAll(async () => {
  await Promise.all([...(await containersOf(id)), ...(await containersOf(goneId))].map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  rmSync(home, { recursive: true, force: true });
});

/** The undriven scenario's rollout, its driver stopped once the canary's patch is decided: paused, its fleet kept. */
async function pausedAtFirstPatch(rolloutId: string, store: Store) {
  const stop = new AbortController();
  return runRollout(loadScenario(join(projectRoot, 'test/fixtures/scenarios/undriven.yaml')), {
    id: rolloutId,
    store,
    cache,
    signal: stop.signal,
    onDecision: (decision) => {
      if (decision.action === 'patch-hosts') stop.abort(new Error('the test stops its driver'));
    },
  });
}

/** `patchlab serve` on this test's home, its output gathered. */
function startServe(): { output: () => string; stop: () => Promise<void> } {
  const serve = spawn(bin, ['serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
  serve.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return {
    output: () => out,
    stop: async () => {
      const exited = new Promise((resolve) => serve.once('close', resolve));
      serve.kill('SIGTERM');
      await exited;
    },
  };
}

describe('patchlab serve', () => {
  it('drives a rollout whose driver stopped, so a Resume moves it to the end, and removes its fleet then', async () => {
    const path = join(home, 'patchlab.db');
    const store = openStore(path);
    try {
      // A driver that stops once the canary is patched: the rollout is paused, its fleet kept.
      const stopped = await pausedAtFirstPatch(id, store);
      expect(stopped.phase).toBe('paused');
      expect(await containersOf(id)).toHaveLength(2);

      const serve = startServe();
      const out = serve.output;
      try {
        const driverOf = async () => (await store.liveLeases(Date.now())).find((lease) => lease.rolloutId === id);
        for (const deadline = Date.now() + 120_000; (await driverOf()) === undefined; await sleep(200)) {
          if (Date.now() > deadline) throw new Error(`serve never drove the rollout:\n${out()}`);
        }
        // serve's node process (under the bin script's tsx), not this one; a new epoch after the stopped driver's.
        expect((await driverOf())?.owner).not.toBe(ownerToken());
        expect((await driverOf())?.epoch).toBe(2);
        expect((await store.loadRollout(id))?.state.phase).toBe('paused');

        await promisify(execFile)(bin, ['rollout', 'resume', id, '--reason', 'the change window is open', '--by', 'alice'], { env });
        for (const deadline = Date.now() + 180_000; ; await sleep(500)) {
          const phase = (await store.loadRollout(id))?.state.phase;
          if (phase === 'completed') break;
          if (Date.now() > deadline) throw new Error(`the rollout did not complete (${phase}):\n${out()}`);
        }
        for (const deadline = Date.now() + 60_000; (await containersOf(id)).length > 0; await sleep(500)) {
          if (Date.now() > deadline) throw new Error(`serve kept the finished rollout's fleet:\n${out()}`);
        }
        expect(out()).toContain(`rollout ${id}: no process drives it; driving it here`);
      } finally {
        await serve.stop();
      }
    } finally {
      await store.close();
    }
  }, 420_000);

  it('says once that a paused rollout\'s hosts were removed by hand, on its timeline too, stops asking for them, and a Resume then fails on them with that reason', async () => {
    const store = openStore(join(home, 'patchlab.db'));
    try {
      const stopped = await pausedAtFirstPatch(goneId, store);
      expect(stopped.phase).toBe('paused');
      // Someone removes the kept fleet by hand, as `docker rm -f` or `lab reap --run` would.
      await Promise.all((await containersOf(goneId)).map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));

      const serve = startServe();
      const out = serve.output;
      const said = () => out().split('\n').filter((line) => line.includes(goneId) && line.includes('are gone from its fleet'));
      try {
        for (const deadline = Date.now() + 120_000; said().length === 0; await sleep(200)) {
          if (Date.now() > deadline) throw new Error(`serve never said the hosts are gone:\n${out()}`);
        }
        // Several check intervals (1 s) and host retries (2 s): before, each one logged "has no host" again.
        await sleep(8_000);
        const names = stopped.hosts.map((h) => h.id).sort().join(', ');
        expect(said()).toEqual([expect.stringContaining(`2 of its hosts are gone from its fleet (${names})`)]);
        expect(out()).not.toContain('has no host');
        const paused = (await store.loadRollout(goneId))?.state;
        expect(paused?.phase).toBe('paused');
        expect(paused?.audit.filter((e) => e.action === 'hosts-gone').map((e) => e.reasons[0])).toEqual([`2 of 2 hosts are gone from the fleet: ${names}`]);
        // Nothing is judged while it is paused: the canary, patching when its driver stopped, waits for a person.
        expect(paused?.hosts.map((h) => h.phase)).toEqual(stopped.hosts.map((h) => h.phase));

        await promisify(execFile)(bin, ['rollout', 'resume', goneId, '--reason', 'try again', '--by', 'alice'], { env });
        let state = paused;
        for (const deadline = Date.now() + 60_000; ; await sleep(500)) {
          state = (await store.loadRollout(goneId))?.state;
          if (state?.phase === 'rolled-back' || (state?.phase === 'paused' && state.paused?.by !== 'patchlab')) break;
          if (Date.now() > deadline) throw new Error(`the resumed rollout did not stop on its gone hosts (${state?.phase}):\n${out()}`);
        }
        const last = state?.audit.filter((e) => e.action === 'rollback' || e.action === 'pause').at(-1);
        expect(last?.reasons.join(' ')).toContain(GONE_REASON);
        expect(said()).toHaveLength(1);
        expect(out()).not.toContain('has no host');
      } finally {
        await serve.stop();
      }
    } finally {
      await store.close();
    }
  }, 300_000);
});
