import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { mustExec } from '../../lab/hosts/host.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { aptIsRunning, replacements, resetServers, server, slowDpkg, startWebServers, versionOn, writeInventory, writeScenario } from '../fixtures/server-fleet.ts';
import type { StandIns } from '../fixtures/ssh-servers.ts';

/*
 * Faults on real servers over SSH, each ending with a clear reason in the rollout's record: the
 * driver killed with SIGKILL while apt runs, a connection dropped while apt runs, another apt
 * holding dpkg's lock, sudo refused, a server unreachable before its patch. Three sshd
 * "servers" (containers this test starts and removes), reached by patchlab over ssh only.
 */

const runId = `test-sshfaults-${process.pid}`;
const cache = new PackageCache();
let standIns: StandIns;
let home: string;
let store: Store;
let base: string;

const SSH = { config: 'ssh_config', lostAfter: '10s', lockWait: '15s' };
const POLICY = { checkInterval: '2s', checkTimeout: '30s' };

/** Waits until `ready` holds, checking every 100 ms. */
async function until(what: string, ready: () => Promise<boolean>, limitMs = 240_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('faults of a rollout to servers over SSH', () => {
  beforeAll(async () => {
    standIns = await startWebServers(['srv1', 'srv2', 'srv3'], runId);
    home = mkdtempSync(join(tmpdir(), 'patchlab-sshfaults-'));
    store = openStore(join(home, 'patchlab.db'));
    base = await versionOn(server(standIns, 'srv1'));
  });

  afterAll(async () => {
    await store?.close();
    await standIns?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('the driver killed with SIGKILL while apt runs on a server: resumed, it waits for that apt, confirms with dpkg-query, and every server is upgraded exactly once', async () => {
    // Killed while the canary's apt runs; resumed, the canary's apt is waited for, then broad goes.
    writeInventory(standIns, 'resume.ini', { canary: ['srv2 ansible_user=deploy'], broad: ['srv1', 'srv3'] });
    const file = writeScenario(standIns, 'ssh-resume', {
      fleet: { inventory: 'resume.ini', ssh: SSH },
      rings: [
        { name: 'canary', hosts: { labels: { group: 'canary' } }, soak: '2s' },
        { name: 'broad', hosts: 'rest', concurrency: 2, soak: '1s' },
      ],
      policy: POLICY,
    });
    const srv2 = server(standIns, 'srv2');
    await slowDpkg(srv2, 12);
    const id = `rollout-sshresume-${process.pid}`;
    const child = spawn(join(projectRoot, 'bin/patchlab'), ['rollout', 'start', file, '--id', id], {
      // Its own process group, so the kill reaches node behind the bash wrapper, and its ssh clients.
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: cache.root },
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await until('apt runs on the canary server', () => aptIsRunning(srv2));
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
    const before = await store.transitions(id);
    expect((await store.loadRollout(id))?.state.hosts.find((h) => h.id === 'srv2')?.phase).toBe('patching');

    const said: string[] = [];
    const final = await runRollout(loadScenario(file), { id, store, cache, signal: AbortSignal.timeout(240_000), progress: (m) => said.push(m) });
    expect(final.phase).toBe('completed');
    // The killed driver's apt still ran when this one found srv2: it waited for it rather than start another.
    expect(said).toContainEqual(expect.stringMatching(/^srv2: an apt transaction of this rollout was started before .*waiting for it, never starting another$/));
    expect(final.hosts.every((h) => h.phase === 'healthy' && h.version === final.patch.version)).toBe(true);
    // Nothing stored before the kill was lost or rewritten.
    const after = await store.transitions(id);
    expect(after.slice(0, before.length)).toEqual(before);
    const sent = after
      .filter((t) => t.kind === 'decision' && (t.payload as Decision).action === 'patch-hosts')
      .flatMap((t) => (t.payload as Extract<Decision, { action: 'patch-hosts' }>).hosts);
    expect(sent.sort()).toEqual(['srv1', 'srv2', 'srv3']);
    // dpkg, which knows best: each server upgraded once, across both drivers.
    for (const s of standIns.servers) expect(await replacements(s, base), s.name).toEqual({ patched: 1, restored: 0 });
  }, 420_000);

  it('a dropped connection is waited out; another apt holding the lock, a refused sudo and an unreachable server each fail their host with the reason', async () => {
    await resetServers(standIns, cache, base);
    const [srv1, srv2, srv3] = ['srv1', 'srv2', 'srv3'].map((n) => server(standIns, n));
    writeInventory(standIns, 'faults.ini', {
      canary: ['srv1'],
      broad: [`locked ansible_host=${srv2?.address}`, `nosudo ansible_host=${srv2?.address} ansible_user=nosudo`, `gone ansible_host=${srv3?.address}`],
    });
    const file = writeScenario(standIns, 'ssh-faults', {
      fleet: { inventory: 'faults.ini', ssh: SSH },
      rings: [
        { name: 'canary', hosts: { labels: { group: 'canary' } }, soak: '1s' },
        { name: 'broad', hosts: 'rest', concurrency: 3, soak: '1s', failureBudget: 3 },
      ],
      policy: POLICY,
    });
    // Another apt at work on srv2 for a minute: a package whose postinst takes its time.
    const slow = buildDeb({ name: 'patchlab-slow-postinst', version: '1.0-1', description: 'holds the dpkg lock for a while', files: [], postinst: '#!/bin/sh\nsleep 60\n' }, join(home, 'debs'));
    await srv2?.docker.copyIn([{ path: '/tmp/slow.deb', content: readFileSync(slow) }]);
    // sshd is gone from srv3 before the rollout starts.
    await mustExec(srv3!.docker, ['sh', '-c', 'pkill -x sshd; while pgrep -x sshd >/dev/null; do sleep 0.1; done']);
    await slowDpkg(srv1!, 6);

    const stop = new AbortController();
    let dropped = false;
    const faults = (async () => {
      await until('apt runs on the canary', () => aptIsRunning(srv1!), 240_000);
      // Every ssh session of srv1 ends; its sshd listens on, as after a network blip.
      await mustExec(srv1!.docker, ['sh', '-c', 'for p in $(pgrep -x sshd); do [ "$p" = "$(cat /run/sshd.pid)" ] || kill "$p"; done']);
      dropped = true;
      await mustExec(srv2!.docker, ['sh', '-c', 'DEBIAN_FRONTEND=noninteractive setsid apt-get install -y /tmp/slow.deb </dev/null >/tmp/slow.log 2>&1 &']);
    })();
    let id: string | undefined;
    const running = runRollout(loadScenario(file), { store, cache, signal: stop.signal, onStart: (started) => (id = started) });
    await until('every broad host has failed', async () => {
      const state = id === undefined ? undefined : (await store.loadRollout(id))?.state;
      return state?.hosts.filter((h) => h.phase === 'failed').length === 3;
    });
    stop.abort(new Error('every fault seen'));
    const final = await running;
    await faults;
    expect(dropped).toBe(true);
    const reason = (id: string) => final.hosts.find((h) => h.id === id)?.failure?.reason ?? '';
    expect(final.hosts.find((h) => h.id === 'srv1')).toMatchObject({ phase: 'healthy', version: final.patch.version });
    expect(await replacements(srv1!, base)).toEqual({ patched: 1, restored: 0 });
    expect(reason('locked')).toMatch(/^patch failed: another apt holds the dpkg lock: pid \d+ \(.*apt-get install -y \/tmp\/slow\.deb.*\) still ran after 15 s of waiting; nothing was changed$/);
    expect(reason('nosudo')).toMatch(/^patch failed: before the patch: sudo refused on nosudo for nosudo: sudo: a password is required/);
    expect(reason('gone')).toMatch(/^patch failed: unreachable before the patch, nothing was changed: no answer for 10 s \(.*Connection refused/);
    expect(await versionOn(srv2!)).toBe(base);
    expect(await versionOn(srv3!)).toBe(base);
  }, 420_000);
});
