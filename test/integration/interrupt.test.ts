import Docker from 'dockerode';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { KEEP_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

const docker = new Docker();
const bin = join(projectRoot, 'bin/patchlab');
const scenario = join(projectRoot, 'test/fixtures/scenarios/resume.yaml');
const home = mkdtempSync(join(tmpdir(), 'patchlab-interrupt-'));
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root };
const id = `rollout-interrupt-${process.pid}`;

const containersOf = (rollout: string) => docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${rollout}`] } });

describe('Ctrl-C of patchlab rollout start', () => {
  it('pauses the rollout saying nobody drives it, keeps its fleet to be resumed, and says how to go on or give it up', async () => {
    const store = openStore(join(home, 'patchlab.db'));
    try {
      // Its own process group, as a terminal's foreground job: Ctrl-C reaches bash, tsx and node.
      const child = spawn(bin, ['rollout', 'start', scenario, '--id', id], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const deadline = Date.now() + 240_000;
      for (;;) {
        const record = await store.loadRollout(id).catch(() => undefined);
        if (record?.state.hosts.some((h) => h.phase === 'patching')) break;
        if (Date.now() > deadline) throw new Error(`the rollout never started patching:\n${out}`);
        await sleep(100);
      }
      // One driver per rollout: a second `start --id` would patch the same hosts again.
      const second = await promisify(execFile)(bin, ['rollout', 'start', scenario, '--id', id], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`rollout ${id} is already driven by patchlab process \\d+`));

      process.kill(-child.pid!, 'SIGINT');
      expect(await exited, out).toBe(130);
      // Its lease is freed at once, not left to expire.
      expect(await store.liveLeases(Date.now())).toEqual([]);

      const record = await store.loadRollout(id);
      expect(record?.state.phase, out).toBe('paused');
      expect(record?.state.paused).toMatchObject({ by: 'patchlab', reason: expect.stringMatching(/^no process drives it \(SIGINT/) });
      expect(out).toContain(`patchlab rollout start ${scenario} --id ${id}`);
      expect(out).toContain(`patchlab lab reap --run ${id}`);

      // The fleet stays, as after a kill: resumable. Whatever else the run made (its fetcher) is gone.
      const kept = await containersOf(id);
      expect(kept).toHaveLength(6);
      expect(kept.every((c) => c.Labels[KEEP_LABEL] === id)).toBe(true);

      const status = await promisify(execFile)(bin, ['rollout', 'status', id], { env });
      expect(status.stdout).toMatch(new RegExp(`rollout ${id}: paused`));

      // A stored rollout goes on with the patch it started with; another patch is a new rollout.
      const repatch = await promisify(execFile)(bin, ['rollout', 'start', scenario, '--id', id, '--patch', 'security'], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(repatch.code).toBe(2);
      expect(repatch.stderr).toContain(`rollout ${id} exists and keeps the patch it started with`);
      expect((await store.loadRollout(id))?.state.phase).toBe('paused');
      expect(await containersOf(id)).toHaveLength(6);

      await promisify(execFile)(bin, ['lab', 'reap', '--run', id], { env });
      expect(await containersOf(id)).toEqual([]);
    } finally {
      await store.close();
      const left = await containersOf(id);
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    }
  }, 300_000);

  afterAll(() => rmSync(home, { recursive: true, force: true }));
});

describe('Ctrl-C of patchlab lab run', () => {
  it('exits 130 and leaves no container, even while its twins are starting', async () => {
    const child = spawn(bin, ['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--refresh'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let runId: string | undefined;
    for (const deadline = Date.now() + 120_000; ; await sleep(50)) {
      runId = /run (lab-\S+):/.exec(out)?.[1];
      // The moment its second host exists: the fetcher works while the twins are still starting,
      // so the clean-up races the run's own start and stop of hosts.
      if (runId && (await containersOf(runId)).length > 1) break;
      if (Date.now() > deadline) throw new Error(`no host started:\n${out}`);
    }
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, out).toBe(130);
    expect(out).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(await containersOf(runId)).toEqual([]);
  }, 180_000);
});
