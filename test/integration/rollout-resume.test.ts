import { loadScenario } from '../../scenarios/load.ts';
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

const docker = new Docker();
const scenario = join(projectRoot, 'test/fixtures/scenarios/resume.yaml');
const home = mkdtempSync(join(tmpdir(), 'patchlab-resume-'));
const id = `rollout-resume-${process.pid}`;

describe('a rollout whose process is killed with SIGKILL mid-patch', () => {
  it('resumes where it was: no decision lost, no host patched twice, and it completes', async () => {
    const store = openStore(join(home, 'patchlab.db'));
    try {
      const child = spawn(join(projectRoot, 'bin/patchlab'), ['rollout', 'start', scenario, '--id', id], {
        // Its own process group, so the kill reaches node behind the bash wrapper.
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root },
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

      // Kill it the moment the pilot ring has hosts mid-patch: dpkg is running inside them.
      const deadline = Date.now() + 240_000;
      for (;;) {
        const record = await store.loadRollout(id).catch(() => undefined);
        if (record && record.state.ring === 1 && record.state.hosts.some((h) => h.phase === 'patching')) break;
        if (Date.now() > deadline) throw new Error('the rollout never reached pilot patching');
        await sleep(50);
      }
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      const before = await store.transitions(id);
      const kept = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } });
      expect(kept).toHaveLength(6);

      const decisions: Decision[] = [];
      const final = await runRollout(loadScenario(scenario), { id, store, keep: true, signal: AbortSignal.timeout(240_000), onDecision: (d) => decisions.push(d) });
      expect(final.phase).toBe('completed');
      expect(final.hosts.every((h) => h.phase === 'healthy' && h.version === final.patch.version)).toBe(true);

      // Nothing stored before the kill was lost or rewritten.
      const after = await store.transitions(id);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.length).toBeGreaterThan(before.length);

      // The engine sent each host to patch once, across both processes ...
      const sent = after
        .filter((t) => t.kind === 'decision' && (t.payload as Decision).action === 'patch-hosts')
        .flatMap((t) => (t.payload as Extract<Decision, { action: 'patch-hosts' }>).hosts);
      expect(sent.sort()).toEqual(final.hosts.map((h) => h.id).sort());
      // ... and dpkg, which knows best, upgraded each host once.
      const provider = new DockerHostProvider(docker);
      for (const c of kept) {
        const host = await provider.attach(c.Id);
        const log = await host.exec(['grep', '-c', ' upgrade tzdata:', '/var/log/dpkg.log']);
        expect(`${c.Names[0]}: ${log.stdout.trim()}`).toBe(`${c.Names[0]}: 1`);
      }
    } finally {
      await store.close();
      const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } });
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    }
  }, 480_000);

  afterAll(() => rmSync(home, { recursive: true, force: true }));
});
