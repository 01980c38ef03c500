import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../lab/config/validation.ts';
import { assignRings, DEFAULT_RINGS } from '../../rollout/engine/plan.ts';
import { CRITICAL_SECURITY_POLICY, STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { selectFaultHosts } from '../../rollout/fleets/faults.ts';
import { hostLabels } from '../../rollout/fleets/host-labels.ts';
import { loadScenario, parseScenario, type Scenario } from '../../scenarios/load.ts';
import { parseDuration } from '../../lab/config/duration.ts';

const shipped = join(import.meta.dirname, '..', '..', 'scenarios');
const dir = mkdtempSync(join(tmpdir(), 'patchlab-scenario-'));
const file = join(dir, 'lab.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function valid(): Record<string, any> {
  return {
    name: 'lab',
    image: 'web',
    patch: 'security',
    fleet: { hosts: 16, groups: [{ count: 8, labels: { site: 'paris' } }, { count: 8, labels: { site: 'lyon' } }] },
    rings: [
      { name: 'canary', hosts: 2, soak: '10s' },
      { name: 'pilot', hosts: 4, concurrency: 2, soak: '15s' },
      { name: 'broad', hosts: 'rest', concurrency: '50%', soak: '5s', failureBudget: '10%' },
    ],
    policy: { checkInterval: '2s', checkTimeout: '30s' },
  };
}

function parse(doc: unknown): Scenario {
  return parseScenario(stringify(doc), file);
}

function inputError(work: () => unknown): InputError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

/** A mistake in `edit` is reported with the file, the field and what was expected. */
function mistake(edit: (doc: Record<string, any>) => void, path: string, expected: RegExp): void {
  const doc = valid();
  edit(doc);
  const { message } = inputError(() => parse(doc));
  expect(message).toContain(file);
  expect(message).toContain(`${path}: `);
  expect(message).toMatch(expected);
}

function ringHosts(scenario: Scenario, seed: string): string[][] {
  const hosts = hostLabels(scenario.fleet).map((labels, i) => ({ id: `host-${i}`, labels: { ...labels }, version: '1' }));
  return assignRings(hosts, scenario.rings, seed);
}

describe('shipped scenarios', () => {
  const files = readdirSync(shipped).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s loads', (name) => {
    const scenario = loadScenario(join(shipped, name));
    expect(scenario.name).toBe(name.replace(/\.yaml$/, ''));
    expect(scenario.image).toBe('web');
    expect(scenario.checks).toEqual([]);
    // Every host in exactly one ring of three.
    const rings = ringHosts(scenario, 'any');
    expect(rings).toHaveLength(3);
    expect(new Set(rings.flat()).size).toBe(scenario.fleet.hosts);
    // Real containers: a run should take about a minute.
    expect(Math.max(...scenario.rings.map((r) => r.soakMs))).toBeLessThanOrEqual(20_000);
    expect(scenario.checkIntervalMs).toBe(2_000);
  });

  it('ships the five scenarios the README and the fleet driver use', () => {
    expect(files.sort()).toEqual(['bad-patch-canary.yaml', 'demo.yaml', 'flaky-host.yaml', 'good-security-patch.yaml', 'latency-regression-pilot.yaml']);
  });

  it('demo patches the pending security updates with no fault', () => {
    const demo = loadScenario(join(shipped, 'demo.yaml'));
    expect(demo.patch).toEqual({ security: true, all: false, packages: [], debs: [] });
    expect(demo.severity).toBe('high');
    expect(demo.faults).toEqual([]);
    expect(demo.rings.some((r) => r.requiresApproval)).toBe(false);
    // The demo fleet: 2 canary, 4 pilot, 10 broad web hosts.
    expect(ringHosts(demo, 'any').map((ids) => ids.length)).toEqual([2, 4, 10]);
  });

  it('a critical security patch gets the faster policy', () => {
    const good = loadScenario(join(shipped, 'good-security-patch.yaml'));
    expect(good.severity).toBe('critical');
    expect(good.policy.soakFactor).toBe(CRITICAL_SECURITY_POLICY.soakFactor);
  });

  it('the bad patch breaks the canary ring', () => {
    const bad = loadScenario(join(shipped, 'bad-patch-canary.yaml'));
    expect(bad.faults).toEqual([{ kind: 'bad-package', hosts: { ring: 'canary' }, effect: 'break-service' }]);
    expect(bad.rings[0]?.failureBudget).toEqual({ count: 0 });
  });

  it('the latency regression is judged in pilot only, where enough samples come in', () => {
    const slow = loadScenario(join(shipped, 'latency-regression-pilot.yaml'));
    expect(slow.faults).toEqual([{ kind: 'latency', hosts: {}, addMs: 200 }]);
    expect(slow.rings.map((r) => r.healthGate.latency)).toEqual([false, true, false]);
    const samples = (ring: number, hosts: number) => hosts * Math.floor((slow.rings[ring]?.soakMs ?? 0) / slow.checkIntervalMs);
    expect(samples(0, 2)).toBeLessThan(slow.policy.latency.minSamples);
    expect(samples(1, 4)).toBeGreaterThanOrEqual(slow.policy.latency.minSamples);
  });

  it('the flaky host is in pilot whatever seed the rollout draws rings with', () => {
    const flaky = loadScenario(join(shipped, 'flaky-host.yaml'));
    expect(flaky.faults).toEqual([{ kind: 'flaky', hosts: { indices: [3] }, failures: 1 }]);
    for (const seed of ['rollout-1', 'rollout-2', 'x']) {
      const rings = ringHosts(flaky, seed);
      const hosts = hostLabels(flaky.fleet).map((labels, index) => ({
        index,
        labels,
        ring: flaky.rings[rings.findIndex((ids) => ids.includes(`host-${index}`))]?.name ?? '',
      }));
      const hit = selectFaultHosts(flaky.faults[0]?.hosts ?? {}, hosts, flaky.fleet.seed);
      expect([...hit].map((i) => hosts[i]?.ring)).toEqual(['pilot']);
    }
  });
});

describe('scenario defaults and conversion', () => {
  it('fills in rings, policy, severity and the simulator defaults', () => {
    const doc = valid();
    delete doc.rings;
    delete doc.policy;
    const scenario = parse(doc);
    expect(scenario.rings).toEqual(DEFAULT_RINGS);
    expect(scenario.policy).toEqual(STANDARD_POLICY);
    expect(scenario.checkIntervalMs).toBe(60_000);
    expect(scenario.severity).toBe('high');
    expect(scenario.fleet).toMatchObject({ seed: 1, simulate: { hosts: 100_000, seed: 7 } });
    expect(scenario.description).toBe('');
    expect(scenario.file).toBe(file);
  });

  it('converts rings into the engine types', () => {
    const doc = valid();
    doc.rings[1] = { name: 'pilot', hosts: { labels: { site: 'lyon' } }, concurrency: '25%', soak: '2m', failureBudget: 1, requiresApproval: true, healthGate: { latency: true } };
    expect(parse(doc).rings[1]).toEqual({
      name: 'pilot',
      hosts: { labels: { site: 'lyon' } },
      concurrency: { percent: 25 },
      failureBudget: { count: 1 },
      soakMs: 120_000,
      requiresApproval: true,
      healthGate: { latency: true },
    });
    expect(parse(valid()).rings[0]).toMatchObject({ concurrency: { count: 1 }, failureBudget: { count: 0 }, requiresApproval: false, healthGate: { latency: false } });
  });

  it('applies policy overrides over the severity policy', () => {
    const doc = valid();
    doc.severity = 'critical';
    doc.policy = { checkInterval: '1m', checkTimeout: '5m', maxFlaps: 0, soakFactor: 0.5, latency: { minSamples: 8 } };
    const { policy, checkIntervalMs } = parse(doc);
    expect(checkIntervalMs).toBe(60_000);
    expect(policy).toEqual({
      name: 'critical-security as adjusted by lab',
      soakFactor: 0.5,
      checkTimeoutMs: 300_000,
      maxFlaps: 0,
      latency: { ...CRITICAL_SECURITY_POLICY.latency, minSamples: 8 },
    });
  });

  it('takes the severity from the patch unless given', () => {
    expect(parse({ ...valid(), patch: 'openssl=3.0.15-1~deb12u1' }).severity).toBe('medium');
    expect(parse({ ...valid(), patch: 'all' }).severity).toBe('high');
    expect(parse({ ...valid(), patch: 'security', severity: 'low' }).severity).toBe('low');
  });

  it('reads patch words like --patch, with .deb and check paths relative to the scenario file', () => {
    mkdirSync(join(dir, 'debs'), { recursive: true });
    writeFileSync(join(dir, 'debs', 'hotfix_1.0_all.deb'), '');
    writeFileSync(join(dir, 'smoke.goss.yaml'), '');
    const scenario = parse({ ...valid(), patch: ['security', 'openssl, libssl3=3.0.15-1', 'debs/hotfix_1.0_all.deb'], checks: ['smoke.goss.yaml'] });
    expect(scenario.patch).toEqual({
      security: true,
      all: false,
      packages: [{ name: 'openssl' }, { name: 'libssl3', version: '3.0.15-1' }],
      debs: [join(dir, 'debs', 'hotfix_1.0_all.deb')],
    });
    expect(scenario.patchWords).toEqual(['security', 'openssl', 'libssl3=3.0.15-1', join(dir, 'debs', 'hotfix_1.0_all.deb')]);
    expect(scenario.checks).toEqual([join(dir, 'smoke.goss.yaml')]);
  });

  it('converts the simulator-only faults', () => {
    const scenario = parse({
      ...valid(),
      faults: [
        { kind: 'offline', hosts: { probability: 0.01 } },
        { kind: 'slow-report', hosts: { fraction: 0.1 }, delay: '30s' },
        { kind: 'check-noise', hosts: 'all', flipProbability: 0.001 },
        { kind: 'host-lost', hosts: { labels: { site: 'lyon' }, ring: 'broad' } },
      ],
    });
    expect(scenario.faults).toEqual([
      { kind: 'offline', hosts: { probability: 0.01 } },
      { kind: 'slow-report', hosts: { fraction: 0.1 }, delayMs: 30_000 },
      { kind: 'check-noise', hosts: {}, flipProbability: 0.001 },
      { kind: 'host-lost', hosts: { labels: { site: 'lyon' }, ring: 'broad' }, when: 'mid-patch' },
    ]);
  });

  it('takes a disk-full fault with nothing but its hosts, and names a field it does not have', () => {
    expect(parse({ ...valid(), faults: [{ kind: 'disk-full', hosts: { ring: 'canary' } }] }).faults).toEqual([{ kind: 'disk-full', hosts: { ring: 'canary' } }]);
    mistake((d) => (d.faults = [{ kind: 'disk-full', hosts: 'all', size: '1k' }]), 'faults[0]', /size/);
  });

  it('gives each group its share of the fleet at the simulated size', () => {
    const fleet = { hosts: 16, groups: [{ count: 8, labels: { site: 'paris' } }, { count: 4, labels: { site: 'lyon' } }] };
    const count = (labels: readonly Record<string, string>[], site?: string) => labels.filter((l) => l.site === site).length;
    expect([count(hostLabels(fleet), 'paris'), count(hostLabels(fleet), 'lyon'), count(hostLabels(fleet))]).toEqual([8, 4, 4]);
    const big = hostLabels(fleet, 100_000);
    expect([count(big, 'paris'), count(big, 'lyon'), count(big)]).toEqual([50_000, 25_000, 25_000]);
  });

  it('reads durations strictly', () => {
    expect(['250ms', '30s', '5m', '1h', '24h', '2d'].map(parseDuration)).toEqual([250, 30_000, 300_000, 3_600_000, 86_400_000, 172_800_000]);
    expect(['5 minutes', '5', '1.5h', '-5m', '5M', ' 5m', '366d', ''].map(parseDuration)).toEqual(Array(8).fill(null));
  });
});

describe('scenario mistakes', () => {
  it('an unknown key, naming the keys allowed there', () => {
    mistake((d) => (d.rings[1].sok = '5s'), 'rings[1]', /unknown key "sok"; expected only name, hosts, concurrency, soak, failureBudget, requiresApproval, healthGate/);
    mistake((d) => (d.colour = 'red'), '(top level)', /unknown key "colour"; expected only name, description, image, patch/);
    mistake((d) => (d.fleet.simulate = { hosts: 10, seeds: 1 }), 'fleet.simulate', /unknown key "seeds"; expected only hosts, seed/);
    mistake((d) => (d.faults = [{ kind: 'latency', hosts: 'all', addMs: 200, ms: 1 }]), 'faults[0]', /unknown key "ms"; expected only kind, hosts, addMs/);
  });

  it('a duration in words', () => {
    mistake((d) => (d.rings[1].soak = '5 minutes'), 'rings[1].soak', /expected a duration such as 30s, 5m, 1h or 24h .*got "5 minutes"/);
    mistake((d) => (d.policy.checkInterval = 2), 'policy.checkInterval', /expected a duration such as 30s.*got 2$/);
  });

  it('a percentage over 100', () => {
    mistake((d) => (d.rings[1].hosts = '150%'), 'rings[1].hosts', /expected a percentage above 0% up to 100%, got "150%"/);
    mistake((d) => (d.rings[2].failureBudget = '101%'), 'rings[2].failureBudget', /expected a percentage from 0% up to 100%, got "101%"/);
  });

  it('ring hosts the fleet does not have', () => {
    mistake((d) => (d.rings[1].hosts = 20), 'rings[1].hosts', /expected at most 14 hosts \(fleet.hosts is 16, earlier rings can take 2\), ring pilot asks for 20/);
    mistake((d) => (d.fleet.simulate = { hosts: 5 }), 'rings[1].hosts', /expected at most 3 hosts \(fleet.simulate.hosts is 5, earlier rings can take 2\)/);
    const labelled = (d: Record<string, any>) => {
      d.rings[0].hosts = { labels: { site: 'paris' } };
      d.rings[1].hosts = 8;
    };
    mistake(labelled, 'rings[2].hosts', /expected hosts left for "rest" \(fleet.hosts is 16, earlier rings can take 16\)/);
    mistake((d) => (d.rings[0].hosts = { labels: { site: 'nice' } }), 'rings[0].hosts.labels', /expected labels that a fleet group carries \(site=paris; site=lyon\), got site=nice/);
    mistake((d) => (d.rings[1].hosts = 'rest'), 'rings[1].hosts', /expected "rest" only in the last ring/);
    mistake((d) => (d.rings[2].name = 'canary'), 'rings[2].name', /expected a name no other ring has, "canary" is already rings\[0\]/);
    mistake((d) => (d.fleet.groups[1].count = 9), 'fleet.groups', /expected counts adding up to at most 16 \(fleet.hosts\), they add up to 17/);
  });

  it('default rings on a fleet too small for them', () => {
    const doc: Record<string, any> = { ...valid(), fleet: { hosts: 2 } };
    delete doc.rings;
    expect(inputError(() => parse(doc)).message).toMatch(/rings \(none given, so the default ring broad\): expected hosts left for "rest"/);
  });

  it('a fault selector naming what is not there', () => {
    mistake((d) => (d.faults = [{ kind: 'bad-package', hosts: { ring: 'pilto' } }]), 'faults[0].hosts.ring', /expected one of the rings canary, pilot, broad, got "pilto"/);
    mistake((d) => (d.faults = [{ kind: 'flaky', hosts: { indices: [3, 16] } }]), 'faults[0].hosts.indices[1]', /expected a host index from 0 to 15 \(fleet.hosts is 16\), got 16/);
    mistake((d) => (d.faults = [{ kind: 'flaky', hosts: { labels: { site: 'pariss' } } }]), 'faults[0].hosts.labels', /expected labels that a fleet group carries/);
    mistake((d) => (d.faults = [{ kind: 'flaky', hosts: { fraction: 0.5, probability: 0.5 } }]), 'faults[0].hosts', /expected either probability or fraction, not both/);
    mistake((d) => (d.faults = [{ kind: 'offline', hosts: 'some' }]), 'faults[0].hosts', /expected "all" or a host selector \(keys: probability, fraction, labels, ring, indices\), got "some"/);
    mistake((d) => (d.faults = [{ kind: 'bad-pkg', hosts: 'all' }]), 'faults[0].kind', /expected kind to be one of bad-package, latency, host-lost, flaky, disk-full, offline, slow-report, check-noise, got "bad-pkg"/);
    mistake((d) => (d.faults = [{ kind: 'flaky', hosts: { probability: 2 } }]), 'faults[0].hosts.probability', /expected a probability: a number from 0 to 1$/);
  });

  it('a patch word with shell metacharacters', () => {
    mistake((d) => (d.patch = 'nginx;reboot'), 'patch', /"nginx;reboot" is not a Debian package name \(expected lower case letters/);
    mistake((d) => (d.patch = ['security', 'nginx=1.0;reboot']), 'patch[1]', /"1.0;reboot" in "nginx=1.0;reboot" is not a Debian version/);
    mistake((d) => (d.patch = ''), 'patch', /expected "security", "all", package names or .deb files, got nothing/);
  });

  it('a .deb that is not there, or a check file that is not', () => {
    mistake((d) => (d.patch = ['security', 'missing.deb']), 'patch[1]', new RegExp(`expected a readable .deb file, ${join(dir, 'missing.deb')} does not exist`));
    mistake((d) => (d.checks = ['nope.goss.yaml']), 'checks[0]', new RegExp(`expected a check file, ${join(dir, 'nope.goss.yaml')} does not exist`));
    mistake((d) => (d.checks = ['checks.txt']), 'checks[0]', /expected a goss YAML file \(.yaml, .yml\) or a browser spec/);
  });

  it('a name that does not match the file', () => {
    mistake((d) => (d.name = 'other'), 'name', /expected "lab" to match the file name, got "other"/);
  });

  it('wrong types and values elsewhere', () => {
    mistake((d) => (d.fleet.hosts = 1e300), 'fleet.hosts', /expected a number of hosts: a whole number from 1 to 100000$/);
    mistake((d) => (d.fleet.groups[0].labels = { site: 3 }), 'fleet.groups[0].labels', /quoted if they look like numbers, got "site": 3/);
    mistake((d) => (d.image = 'web; rm -rf /'), 'image', /expected an image definition name such as web, or an image reference such as debian:bookworm/);
    mistake((d) => (d.severity = 'urgent'), 'severity', /expected low, medium, high or critical/);
    mistake((d) => (d.policy.checkInterval = '1m'), 'policy.checkInterval', /expected less than the check timeout \(30 s, from policy.checkTimeout\), got 1 min/);
    mistake((d) => (d.rings = 3), 'rings', /expected a list of rings/);
  });

  it('YAML that does not parse, or a file that cannot be read', () => {
    const { message } = inputError(() => parseScenario('name: lab\nfleet: { hosts: [16\n', file));
    expect(message).toContain(file);
    expect(message).toMatch(/not valid YAML: Flow sequence .* must be sufficiently indented and end with a \] at line 3, column 1/);
    expect(inputError(() => loadScenario(join(dir, 'absent.yaml'))).message).toContain(`${join(dir, 'absent.yaml')}: cannot read the file: ENOENT`);
  });

  it('lists every problem at once', () => {
    const doc = valid();
    doc.name = 'other';
    doc.patch = 'nginx;reboot';
    doc.faults = [{ kind: 'bad-package', hosts: { ring: 'pilto' } }];
    expect(inputError(() => parse(doc)).problems).toHaveLength(3);
  });
});
