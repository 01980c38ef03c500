import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { startPrivateDockerd, type PrivateDockerd } from './private-dockerd.ts';

/*
 * Issue 6, the Docker engine restarted during a rollout. The engine is the test's own (see
 * private-dockerd.ts): the machine's is shared with other people's tests and must never stop.
 * Without live-restore, a restarted dockerd stops every container it had, so the fleet's hosts
 * go down with it, the canary in the middle of dpkg.
 */
const scenario = join(projectRoot, 'test/fixtures/scenarios/dockerd-restart.yaml');
const home = mkdtempSync(join(tmpdir(), 'patchlab-dockerd-restart-'));
const id = `rollout-dockerd-restart-${process.pid}`;
let engine: PrivateDockerd | undefined;

describe('the Docker engine restarted during a rollout', () => {
  beforeAll(async () => {
    engine = await startPrivateDockerd([(await resolveImage('web')).tag]);
  }, 180_000);

  afterAll(async () => {
    await engine?.destroy();
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('rolls the rollout back instead of completing it, keeps every stored step, and leaves no container', async () => {
    const docker = engine!.docker;
    const store = openStore(join(home, 'patchlab.db'));
    const child = spawn(join(projectRoot, 'bin/patchlab'), ['rollout', 'start', scenario, '--id', id], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: engine!.host, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The moment the canary host is mid-patch: dpkg runs inside it.
      const deadline = Date.now() + 180_000;
      for (;;) {
        const record = await store.loadRollout(id).catch(() => undefined);
        if (record?.state.hosts.some((h) => h.phase === 'patching')) break;
        if (child.exitCode !== null) throw new Error(`the rollout ended before any host was patched:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the rollout never started patching:\n${output}`);
        await sleep(50);
      }
      await engine!.kill();
      const before = await store.transitions(id);
      // Down long enough for the rollout to try to reach it, as when systemd restarts a crashed dockerd.
      await sleep(3_000);
      await engine!.start();

      const code = await Promise.race([exited, sleep(240_000).then(() => 'stuck' as const)]);
      const record = await store.loadRollout(id);
      expect(code, `the rollout process after the restart (phase ${record?.state.phase}):\n${output}`).toBe(1);
      const state = record!.state;
      expect(state.phase).toBe('rolled-back');
      expect(state.audit.some((e) => e.action === 'promote' || e.action === 'complete')).toBe(false);
      // The reason names the canary host and what became of it.
      const canary = state.rings[0]!.hostIds[0]!;
      const rollback = state.audit.find((e) => e.action === 'rollback');
      expect(rollback?.reasons.join(' ')).toMatch(new RegExp(`ring canary: .*${canary}.*went away mid-patch`));
      expect(state.hosts.every((h) => h.version !== state.patch.version)).toBe(true);

      // Nothing stored before the engine went away was lost or rewritten; the last step is the stored state.
      const after = await store.transitions(id);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(record!.seq).toBe(after.length);
      expect(await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).toEqual([]);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      await store.close();
    }
  }, 420_000);
});
