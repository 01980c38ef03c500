import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../lab/config/validation.ts';
import { assignRings } from '../../rollout/engine/plan.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { rebootsForHosts } from '../../rollout/drive/server-rollout.ts';
import { loadScenario } from '../../scenarios/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'patchlab-inventory-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, 'hosts.ini'), `[canary]
web01 ansible_host=10.0.0.11

[web]
web02 ansible_host=10.0.0.12 ansible_user=deploy
web[03:06] ansible_host=10.0.0.20

[db]
db01 ansible_host=10.0.0.31

[prod:children]
web
db
`);
writeFileSync(join(dir, 'ssh_config'), 'Host *\n  User root\n');

function scenario(name: string, body: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ name, image: 'web', patch: 'tzdata', ...body }));
  return file;
}

const RINGS = [
  { name: 'canary', hosts: { labels: { group: 'canary' } }, soak: '1m' },
  { name: 'web', hosts: { labels: { group: 'web' } }, soak: '1m', reboot: 'if-required' },
  { name: 'rest', hosts: 'rest', soak: '1m', reboot: 'always' },
];

function problems(file: string): string[] {
  try {
    loadScenario(file);
  } catch (error) {
    if (error instanceof InputError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('a scenario over an inventory of servers', () => {
  it('takes its hosts from the inventory (relative to the scenario), groups as labels for the rings, reboot policies by ring', () => {
    const loaded = loadScenario(scenario('servers', { fleet: { inventory: 'hosts.ini', ssh: { config: 'ssh_config', lockWait: '30s' } }, rings: RINGS }));
    expect(loaded.servers?.inventory).toBe(join(dir, 'hosts.ini'));
    expect(loaded.servers?.sshConfig).toBe(join(dir, 'ssh_config'));
    expect(loaded.servers?.waits).toEqual({ lockWaitMs: 30_000, lostAfterMs: 60_000, rebootTimeoutMs: 600_000 });
    expect(loaded.servers?.servers.map((s) => s.name)).toEqual(['web01', 'web02', 'web03', 'web04', 'web05', 'web06', 'db01']);
    expect(loaded.servers?.servers.find((s) => s.name === 'web02')).toMatchObject({ address: '10.0.0.12', user: 'deploy' });
    expect(loaded.fleet.hosts).toBe(7);
    expect(loaded.fleet.groups.map((g) => [g.count, g.labels.group])).toEqual([[1, 'canary'], [5, 'web'], [1, 'db']]);
    expect(loaded.reboots).toEqual({ canary: 'never', web: 'if-required', rest: 'always' });
    // The engine's rings over the inventory's hosts, as a rollout lays them.
    const hosts = (loaded.servers?.servers ?? []).map((s) => ({ id: s.name, labels: s.labels, version: 'base' }));
    expect(assignRings(hosts, loaded.rings, 'r').map((ring) => ring.sort())).toEqual([['web01'], ['web02', 'web03', 'web04', 'web05', 'web06'], ['db01']]);
    const state = createRollout({ id: 'r', patch: { name: 'p', version: 'new', severity: 'high' }, hosts, rings: loaded.rings, now: 0 });
    expect(Object.fromEntries(rebootsForHosts(state, loaded.reboots))).toMatchObject({ web01: 'never', web04: 'if-required', db01: 'always' });
    expect(loaded.rings.every((r) => !('reboot' in r))).toBe(true);
  });

  it('says what is wrong with an inventory fleet, each at its field', () => {
    expect(problems(scenario('both', { fleet: { inventory: 'hosts.ini', hosts: 4 } }))).toContainEqual(expect.stringMatching(/^fleet.hosts: expected either hosts or inventory, not both/));
    expect(problems(scenario('neither', { fleet: {} }))).toEqual([expect.stringMatching(/^fleet: expected hosts \(how many containers to start\) or inventory/)]);
    expect(problems(scenario('missing', { fleet: { inventory: 'nope.ini' } }))).toEqual([expect.stringMatching(/^fleet.inventory: .*nope.ini: cannot read the inventory: ENOENT/)]);
    expect(problems(scenario('config', { fleet: { inventory: 'hosts.ini', ssh: { config: 'nope' } }, rings: RINGS }))).toEqual([`fleet.ssh.config: expected an ssh config file, ${join(dir, 'nope')} does not exist`]);
    expect(problems(scenario('lost', { fleet: { inventory: 'hosts.ini' }, rings: RINGS, faults: [{ kind: 'host-lost', hosts: 'all' }] }))).toEqual([
      expect.stringMatching(/^faults\[0\].kind: expected bad-package or latency on servers .*got host-lost$/),
    ]);
    expect(problems(scenario('label', { fleet: { inventory: 'hosts.ini' }, rings: [{ name: 'x', hosts: { labels: { group: 'mail' } }, soak: '1m' }] }))).toEqual([
      expect.stringMatching(/^rings\[0\].hosts.labels: expected labels that a fleet group carries \(.*group=canary.*\), got group=mail$/),
    ]);
  });

  it('refuses a reboot policy for containers, which cannot reboot', () => {
    expect(problems(scenario('containers', { fleet: { hosts: 4 }, rings: [{ name: 'all', hosts: 'rest', soak: '1m', reboot: 'always' }] }))).toEqual([
      'rings[0].reboot: expected never for a fleet of containers (a container cannot reboot); always needs fleet.inventory',
    ]);
    expect(problems(scenario('sometimes', { fleet: { hosts: 4 }, rings: [{ name: 'all', hosts: 'rest', soak: '1m', reboot: 'sometimes' }] }))).toEqual([
      'rings[0].reboot: expected never, if-required, always, got "sometimes"',
    ]);
  });
});
