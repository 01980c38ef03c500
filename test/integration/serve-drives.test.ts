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
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { loadScenario } from '../../scenarios/load.ts';

const docker = new Docker();
const bin = join(projectRoot, 'bin/patchlab');
const home = mkdtempSync(join(tmpdir(), 'patchlab-serve-drives-'));
const cache = new PackageCache();
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: cache.root };
const id = `rollout-undriven-${process.pid}`;
const containersOf = (rollout: string) => docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rollout}`] } });

afterAll(async () => {
  await Promise.all((await containersOf(id)).map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  rmSync(home, { recursive: true, force: true });
});

describe('patchlab serve', () => {
  it('drives a rollout whose driver stopped, so a Resume moves it to the end, and removes its fleet then', async () => {
    const path = join(home, 'patchlab.db');
    const store = openStore(path);
    try {
      // A driver that stops once the canary is patched: the rollout is paused, its fleet kept.
      const stop = new AbortController();
      const stopped = await runRollout(loadScenario(join(projectRoot, 'test/fixtures/scenarios/undriven.yaml')), {
        id,
        store,
        cache,
        signal: stop.signal,
        onDecision: (decision) => {
          if (decision.action === 'patch-hosts') stop.abort(new Error('the test stops its driver'));
        },
      });
      expect(stopped.phase).toBe('paused');
      expect(await containersOf(id)).toHaveLength(2);

      const serve = spawn(bin, ['serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
      serve.stderr.on('data', (c: Buffer) => (out += c.toString()));
      try {
        const driverOf = async () => (await store.liveLeases(Date.now())).find((lease) => lease.rolloutId === id);
        for (const deadline = Date.now() + 120_000; (await driverOf()) === undefined; await sleep(200)) {
          if (Date.now() > deadline) throw new Error(`serve never drove the rollout:\n${out}`);
        }
        // serve's node process (under the bin script's tsx), not this one; a new epoch after the stopped driver's.
        expect((await driverOf())?.owner).not.toBe(ownerToken());
        expect((await driverOf())?.epoch).toBe(2);
        expect((await store.loadRollout(id))?.state.phase).toBe('paused');

        await promisify(execFile)(bin, ['rollout', 'resume', id, '--reason', 'the change window is open', '--by', 'alice'], { env });
        for (const deadline = Date.now() + 180_000; ; await sleep(500)) {
          const phase = (await store.loadRollout(id))?.state.phase;
          if (phase === 'completed') break;
          if (Date.now() > deadline) throw new Error(`the rollout did not complete (${phase}):\n${out}`);
        }
        for (const deadline = Date.now() + 60_000; (await containersOf(id)).length > 0; await sleep(500)) {
          if (Date.now() > deadline) throw new Error(`serve kept the finished rollout's fleet:\n${out}`);
        }
        expect(out).toContain(`rollout ${id}: no process drives it; driving it here`);
      } finally {
        const exited = new Promise((resolve) => serve.once('close', resolve));
        serve.kill('SIGTERM');
        await exited;
      }
    } finally {
      await store.close();
    }
  }, 420_000);
});
