import { loadScenario } from '../../scenarios/load.ts';
import Docker from 'dockerode';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { OWNER_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { LabReport } from '../../lab/run/report.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

/*
 * Issue 6, faults: each ends in a clear state (error, paused or rolled back, never passed), with
 * nothing lost from the store and no container left once patchlab has started again.
 */
const docker = new Docker();
const bin = join(projectRoot, 'bin/patchlab');
const home = mkdtempSync(join(tmpdir(), 'patchlab-faults-'));
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root };
const containersOf = async (prefix: string) =>
  (await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).filter((c) => c.Labels[RUN_LABEL]?.startsWith(prefix));

/** Whether the process named in an owner label (host:pid:start) is in the given process group. */
function inGroup(owner: string | undefined, group: number): boolean {
  const pid = owner?.split(':')[1];
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after it.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2] === String(group);
  } catch {
    return false;
  }
}

describe('faults', () => {
  it('an unreachable mirror is a lab error naming it, not a pass with nothing to patch', async () => {
    const outcome = await promisify(execFile)(bin, ['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--json', '--mirror', 'http://127.0.0.1:9/debian', '--security-mirror', 'http://127.0.0.1:9/debian-security'], { env }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    const report = JSON.parse(outcome.stdout) as LabReport;
    expect(outcome.code).toBe(2);
    expect(report.verdict).toBe('error');
    expect(report.reasons.join(' ')).toMatch(/Failed to fetch http:\/\/127\.0\.0\.1:9\/debian/);
    expect(await containersOf(report.runId)).toEqual([]);
  }, 120_000);

  it('a lab run killed with SIGKILL leaves its hosts only until the next patchlab command removes them', async () => {
    const child = spawn(bin, ['lab', 'run', '--image', 'web', '--patch', 'tzdata'], { env, detached: true, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    let runId: string | undefined;
    while (!runId) {
      // Killed once the twins run: the patched one may be mid-dpkg.
      // Its own, not those of a lab run another test file runs at the same time.
      runId = (await containersOf('lab-')).find((c) => c.Labels['patchlab.role'] === 'patched' && inGroup(c.Labels[OWNER_LABEL], child.pid!))?.Labels[RUN_LABEL];
      if (Date.now() > deadline) throw new Error('the lab run never started its twins');
      await sleep(100);
    }
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect((await containersOf(runId)).length).toBeGreaterThan(0);

    await promisify(execFile)(bin, ['lab', 'reap'], { env });
    expect(await containersOf(runId)).toEqual([]);
    // It never claimed a verdict.
    const store = openStore(join(home, 'patchlab.db'));
    expect(await store.loadLabRun(runId)).toBeUndefined();
    await store.close();
  }, 180_000);

  it('a host lost mid-patch stops the rollout and undoes it; it never completes', async () => {
    const store = openStore(join(home, 'patchlab.db'));
    try {
      const decisions: Decision[] = [];
      const final = await runRollout(loadScenario(join(projectRoot, 'test/fixtures/scenarios/host-lost.yaml')), { store, onDecision: (d) => decisions.push(d) });
      expect(final.phase).toBe('rolled-back');
      const rollback = decisions.find((d) => d.action === 'rollback');
      expect(rollback?.reasons.join(' ')).toMatch(/went away mid-patch/);
      expect(final.hosts.every((h) => h.version !== final.patch.version)).toBe(true);
      // Every step is in the store, the last one the end of the rollback.
      const transitions = await store.transitions(final.id);
      expect((await store.loadRollout(final.id))?.seq).toBe(transitions.length);
      expect(await containersOf(final.id)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 240_000);

  it('a host whose disk is full fails its patch with dpkg\'s "No space left on device"; the rollout undoes it and never completes', async () => {
    const store = openStore(join(home, 'patchlab.db'));
    try {
      const final = await runRollout(loadScenario(join(projectRoot, 'test/fixtures/scenarios/disk-full.yaml')), { store });
      expect(final.phase).toBe('rolled-back');
      // The user reads which host, which package and why, in dpkg's own words.
      const canary = final.rings[0]!.hostIds[0]!;
      const rollback = final.audit.find((e) => e.action === 'rollback');
      expect(rollback?.reasons.join(' ')).toMatch(
        new RegExp(`ring canary: .*${canary} \\(patch failed: dpkg: error processing archive \\S*tzdata_\\S* \\(--unpack\\): .*No space left on device`),
      );
      expect(final.audit.some((e) => e.action === 'promote' || e.action === 'complete')).toBe(false);
      expect(final.hosts.every((h) => h.version !== final.patch.version)).toBe(true);
      const transitions = await store.transitions(final.id);
      expect((await store.loadRollout(final.id))?.seq).toBe(transitions.length);
      expect(await containersOf(final.id)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 240_000);

  afterAll(() => rmSync(home, { recursive: true, force: true }));
});
