import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustExec, type Host } from '../../lab/hosts/host.ts';
import { SshHost } from '../../lab/hosts/ssh/ssh-host.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { serverCheckSuite } from '../../rollout/fleets/ssh/server-checks.ts';
import { ServerFleet } from '../../rollout/fleets/ssh/server-fleet.ts';
import { DEFAULT_WAITS } from '../../rollout/fleets/ssh/server-fleet-plan.ts';
import { ServerLink } from '../../rollout/fleets/ssh/server-link.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { counted } from '../fixtures/checks/counted-host.ts';
import { aptIsRunning, resetServers, server, slowDpkg, replacements, startWebServers, versionOn, WEB_GOSS, writeInventory, writeScenario } from '../fixtures/server-fleet.ts';
import type { StandIns } from '../fixtures/ssh-servers.ts';

/*
 * Rollouts to a team's servers over SSH: four sshd "servers" (containers this test starts and
 * removes; patchlab reaches them only by ssh, with a throwaway key, known_hosts and ssh config)
 * from an Ansible INI inventory, rings canary / pilot / broad by inventory group. Four, not the
 * issue's eight: this machine has two cores. The patch is tzdata (see SCENARIO_TEST_PATCH).
 */

const runId = `test-sshfleet-${process.pid}`;
const docker = new Docker();
const cache = new PackageCache();
let standIns: StandIns;
let home: string;
let store: Store;
let base: string;

const RINGS = [
  { name: 'canary', hosts: { labels: { group: 'canary' } }, soak: '4s', failureBudget: 0 },
  { name: 'pilot', hosts: { labels: { group: 'pilot' } }, soak: '2s' },
  // Nothing asks these servers for a reboot (no /var/run/reboot-required): if-required leaves them be.
  { name: 'broad', hosts: 'rest', concurrency: 2, soak: '2s', reboot: 'if-required' },
];
// Every check round runs goss over ssh on every idle server: not every second on two loaded cores.
const POLICY = { checkInterval: '2s', checkTimeout: '30s' };
const SSH = { config: 'ssh_config', lostAfter: '10s', lockWait: '15s' };

async function roll(file: string, signal?: AbortSignal) {
  const decisions: Decision[] = [];
  const final = await runRollout(loadScenario(file), { store, cache, onDecision: (d) => decisions.push(d), ...(signal ? { signal } : {}) });
  return { final, decisions };
}

describe('a rollout to servers over SSH, from an Ansible INI inventory', () => {
  beforeAll(async () => {
    standIns = await startWebServers(['srv1', 'srv2', 'srv3', 'srv4'], runId);
    home = mkdtempSync(join(tmpdir(), 'patchlab-sshfleet-'));
    store = openStore(join(home, 'patchlab.db'));
    base = await versionOn(server(standIns, 'srv1'));
    // srv2 logs in as deploy, which becomes root through sudo -n.
    writeInventory(standIns, 'hosts.ini', { canary: ['srv1'], pilot: ['srv2 ansible_user=deploy'], broad: ['srv3', 'srv4'] }, '[web:children]\ncanary\npilot\nbroad\n');
  });

  afterAll(async () => {
    await store?.close();
    await standIns?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('a check round makes one ssh exec per server and step of its probes, not one per probe, and finds what the probes find alone', async () => {
    const checks = await serverCheckSuite([WEB_GOSS], 80, home);
    const links = new Map<string, ReturnType<typeof counted>>();
    const client = { configFile: standIns.sshConfig, hostKeys: 'strict' as const };
    const servers = standIns.servers.slice(0, 2).map((s) => ({ name: s.name, address: s.address, ...(s.name === 'srv2' ? { user: 'deploy' } : {}), groups: [], labels: {} }));
    const fleet = await ServerFleet.open({
      rolloutId: `${runId}-count`,
      plan: { inventory: 'counted', sshConfig: standIns.sshConfig, servers, waits: DEFAULT_WAITS },
      image: { tag: 'unused' },
      prepared: { name: 'tzdata', version: 'patched', baseVersion: 'base', packages: [{ name: 'tzdata', from: base, to: `${base}+1` }], installFiles: [], removals: [], baseVersions: {}, faultDebs: {} },
      cache,
      checks,
      faults: new Map(),
      reboots: new Map(),
      connect: async (target, c) => {
        const link = counted(await SshHost.connect(target, c));
        links.set(target.name, link);
        return link.host;
      },
    });
    try {
      for (const s of servers) {
        // Alone: each probe its own ssh exec, through the same kind of link the fleet keeps.
        const alone = counted(new ServerLink(s, client) as Host);
        const expected = await checks.run({ host: alone.host, label: s.name });
        await alone.host.stop();
        const link = links.get(s.name);
        for (let round = 0; round < 2; round++) {
          link?.reset();
          const observation = await fleet.check(s.name);
          expect(observation.checks.map((c) => `${s.name} ${c.id} ${c.status}`)).toEqual(expected.map((r) => `${s.name} ${r.id} ${r.status}`));
          // The web file's probes come in two steps (a file's stat, then what it holds).
          expect(link?.execs(), s.name).toBeLessThanOrEqual(2);
        }
        expect(alone.execs(), s.name).toBeGreaterThanOrEqual(6);
      }
      expect(links.size).toBe(2);
    } finally {
      await fleet.close();
    }
  }, 120_000);

  it('a bad patch is caught in canary and rolled back: every server back on its versions, pilot and broad untouched', async () => {
    const file = writeScenario(standIns, 'ssh-bad', {
      fleet: { inventory: 'hosts.ini', ssh: SSH },
      rings: RINGS,
      policy: POLICY,
      faults: [{ kind: 'bad-package', hosts: { ring: 'canary' } }],
    });
    const { final, decisions } = await roll(file);
    expect(final.phase).toBe('rolled-back');
    expect(final.rings[decisions.at(-1)?.ring ?? -1]?.name).toBe('canary');
    expect(final.hosts.filter((h) => h.id !== 'srv1').every((h) => h.phase === 'pending')).toBe(true);
    for (const s of standIns.servers) {
      expect(`${s.name} ${await versionOn(s)}`).toBe(`${s.name} ${base}`);
      expect((await s.docker.exec(['dpkg-query', '-W', 'patchlab-nginx-tuning'])).exitCode, s.name).not.toBe(0);
      expect(await replacements(s, base), s.name).toEqual(s.name === 'srv1' ? { patched: 1, restored: 1 } : { patched: 0, restored: 0 });
    }
    // The canary's nginx config is whole again, and its checks pass.
    await mustExec(server(standIns, 'srv1').docker, ['nginx', '-t']);
  }, 360_000);

  it('a good patch goes through canary, pilot and broad and completes; the servers are still there, each upgraded once', async () => {
    await resetServers(standIns, cache, base);
    const file = writeScenario(standIns, 'ssh-good', { fleet: { inventory: 'hosts.ini', ssh: SSH }, rings: RINGS, policy: POLICY });
    const { final, decisions } = await roll(file);
    expect(final.phase).toBe('completed');
    expect(decisions.filter((d) => d.action === 'promote').map((d) => final.rings[d.ring]?.name)).toEqual(['canary', 'pilot']);
    expect(final.hosts.every((h) => h.phase === 'healthy' && h.version === final.patch.version)).toBe(true);
    for (const s of standIns.servers) {
      expect(`${s.name} ${await versionOn(s)}`).not.toBe(`${s.name} ${base}`);
      expect(await replacements(s, base), s.name).toEqual({ patched: 1, restored: 0 });
      // patchlab never stops or removes a server: the containers run as before.
      expect((await docker.getContainer(s.docker.id).inspect()).State.Running, s.name).toBe(true);
    }
  }, 360_000);

  it('a server whose sshd is stopped while apt runs is lost, and its ring\'s failure budget decides (1 of 2: pause)', async () => {
    await resetServers(standIns, cache, base);
    const srv3 = server(standIns, 'srv3');
    await slowDpkg(srv3, 15);
    writeInventory(standIns, 'lost.ini', { broad: ['srv3', 'srv4'] });
    const file = writeScenario(standIns, 'ssh-lost', {
      fleet: { inventory: 'lost.ini', ssh: SSH },
      rings: [{ name: 'broad', hosts: 'rest', concurrency: 2, soak: '2s', failureBudget: 1 }],
      policy: POLICY,
    });
    const stop = new AbortController();
    let killed = false;
    const watcher = (async () => {
      while (!stop.signal.aborted) {
        if (!killed && (await aptIsRunning(srv3))) {
          // Every sshd process: the listener and the sessions, as when a server's sshd dies.
          await mustExec(srv3.docker, ['sh', '-c', 'pkill -x sshd; while pgrep -x sshd >/dev/null; do sleep 0.1; done']);
          killed = true;
        }
        await sleep(200);
      }
    })();
    const decisions: Decision[] = [];
    const running = runRollout(loadScenario(file), {
      store,
      cache,
      signal: stop.signal,
      onDecision: (d) => {
        decisions.push(d);
        if (d.action === 'pause') stop.abort(new Error('paused, as the test expects'));
      },
    });
    const final = await running.finally(() => stop.abort());
    await watcher;
    expect(killed).toBe(true);
    const pause = decisions.find((d) => d.action === 'pause');
    expect(final.rings[pause?.ring ?? -1]?.name).toBe('broad');
    const lost = final.hosts.find((h) => h.id === 'srv3');
    expect(lost?.phase).toBe('failed');
    expect(lost?.failure?.reason).toMatch(/^patch failed: lost while apt ran: no answer for 10 s \(.*(refused|closed)/);
    // srv4 is not harmed; under load its own patch may still be in flight when the pause comes.
    expect(['healthy', 'patching']).toContain(final.hosts.find((h) => h.id === 'srv4')?.phase);
    // The transaction was detached from the connection: apt finished on the server all the same, once.
    await mustExec(srv3.docker, ['/usr/sbin/sshd']);
    for (let i = 0; i < 100 && (await srv3.docker.exec(['pgrep', '-x', 'apt-get'])).exitCode === 0; i++) await sleep(300);
    expect(await replacements(srv3, base)).toEqual({ patched: 1, restored: 0 });
    expect((await docker.getContainer(srv3.docker.id).inspect()).State.Running).toBe(true);
  }, 360_000);
});
