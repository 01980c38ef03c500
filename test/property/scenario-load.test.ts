import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../lab/config/validation.ts';
import { selectFaultHosts, type SelectableHost } from '../../rollout/fleets/faults.ts';
import { parseScenario, type Scenario } from '../../scenarios/load.ts';

const file = join(import.meta.dirname, 'fuzz.yaml');

function base(): Record<string, unknown> {
  return {
    name: 'fuzz',
    image: 'web',
    patch: ['security', 'openssl=3.0.15-1'],
    fleet: { hosts: 16, groups: [{ count: 8, labels: { site: 'paris' } }], simulate: { hosts: 1000 } },
    rings: [
      { name: 'canary', hosts: 2, soak: '10s' },
      { name: 'pilot', hosts: { labels: { site: 'paris' } }, concurrency: '25%', soak: '15s', healthGate: { latency: true } },
      { name: 'broad', hosts: 'rest', concurrency: 5, soak: '5s', failureBudget: '10%' },
    ],
    policy: { checkInterval: '2s', checkTimeout: '30s', latency: { minSamples: 10 } },
    faults: [
      { kind: 'latency', hosts: 'all', addMs: 200 },
      { kind: 'flaky', hosts: { indices: [3], ring: 'pilot' }, failures: 1 },
      { kind: 'slow-report', hosts: { probability: 0.1 }, delay: '30s' },
    ],
  };
}

/** Every field of the base and a few below it, so mutations reach past the first type check. */
const PATHS: (string | number)[][] = [
  ['name'], ['description'], ['image'], ['patch'], ['patch', 1], ['severity'], ['checks'], ['checks', 0],
  ['fleet'], ['fleet', 'hosts'], ['fleet', 'groups'], ['fleet', 'groups', 0, 'count'], ['fleet', 'groups', 0, 'labels'],
  ['fleet', 'groups', 0, 'labels', 'site'], ['fleet', 'seed'], ['fleet', 'simulate'], ['fleet', 'simulate', 'hosts'], ['fleet', 'simulate', 'seed'],
  ['rings'], ['rings', 0], ['rings', 3],
  ...[0, 1, 2].flatMap((i) => ['name', 'hosts', 'concurrency', 'soak', 'failureBudget', 'requiresApproval', 'healthGate'].map((k) => ['rings', i, k])),
  ['rings', 1, 'hosts', 'labels'], ['rings', 1, 'healthGate', 'latency'],
  ['policy'], ['policy', 'checkInterval'], ['policy', 'checkTimeout'], ['policy', 'maxFlaps'], ['policy', 'soakFactor'],
  ['policy', 'latency'], ['policy', 'latency', 'alpha'], ['policy', 'latency', 'minEffectRatio'], ['policy', 'latency', 'minSamples'],
  ['faults'], ['faults', 0], ['faults', 3],
  ...[0, 1, 2].flatMap((i) => ['kind', 'hosts', 'addMs', 'failures', 'delay', 'effect', 'when', 'flipProbability'].map((k) => ['faults', i, k])),
  ...['probability', 'fraction', 'labels', 'ring', 'indices'].map((k) => ['faults', 1, 'hosts', k]),
  ['faults', 1, 'hosts', 'indices', 0],
];

const shellish = fc.string({ unit: fc.constantFrom(...'ab;|&$`\'"<>(){}*?!#~ \n\t%.=,-_:/09\\'.split('')), maxLength: 20 });
const tokens = fc.constantFrom(
  'rest', 'all', 'security', '10%', '150%', '-5%', '0%', '5s', '0s', '5 minutes', '1e9d', 'canary', 'pilot', 'pilto',
  'break-service', 'mid-patch', 'bad-package', 'host-lost', 'offline', 'check-noise', 'x.deb', '../../../etc/passwd.deb',
  'nginx;reboot', '$(reboot)', '__proto__', 'constructor',
);
const numbers = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(0, 1, 0.5, 1.5, -1, 100_000, 100_001, 2 ** 32, 1e300, -1e300, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity, -Infinity),
  fc.double(),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(shellish, tokens, numbers, fc.boolean(), fc.constant(null), fc.constant(undefined)),
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('any'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(tokens, fc.constantFrom('labels', 'count', 'hosts', 'site', 'kind')), tie('any'), { maxKeys: 3 }),
  ),
})).any;

function setIn(doc: Record<string, unknown>, path: readonly (string | number)[], to: unknown): void {
  let node: Record<string | number, unknown> = doc;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = to;
      return;
    }
    const child = node[key];
    if (typeof child !== 'object' || child === null) node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}

/** Loads, or fails with an InputError; anything else thrown fails the property. */
function load(text: string): Scenario | null {
  try {
    return parseScenario(text, file);
  } catch (error) {
    if (error instanceof InputError) {
      expect(error.message.startsWith(`${file}: `)).toBe(true);
      expect(error.problems.length).toBeGreaterThan(0);
      return null;
    }
    throw error;
  }
}

describe('scenario loader properties', () => {
  it('the base of the fuzzing loads', () => {
    expect(load(stringify(base()))).not.toBeNull();
  });

  it('a scenario with wrong types, huge numbers and shell characters anywhere fails only with an InputError', () => {
    const mutation = fc.tuple(fc.constantFrom(...PATHS), value);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const doc = base();
        for (const [path, to] of mutations) setIn(doc, path, to);
        const scenario = load(stringify(doc));
        if (!scenario) return;
        // What did load is whole: every duration a number, every fault aimed inside the fleet.
        expect(scenario.rings.length).toBeGreaterThan(0);
        expect(scenario.rings.every((r) => Number.isSafeInteger(r.soakMs) && r.soakMs >= 0)).toBe(true);
        expect(scenario.checkIntervalMs).toBeLessThan(scenario.policy.checkTimeoutMs);
        expect(scenario.faults.every((f) => (f.hosts.indices ?? []).every((i) => i < scenario.fleet.hosts))).toBe(true);
        expect(scenario.patch.packages.every((p) => /^[a-z0-9][a-z0-9+.-]+$/.test(p.name))).toBe(true);
      }),
      { seed: 20261124, numRuns: 400 },
    );
  });

  it('any YAML document, or any text, fails only with an InputError', () => {
    const document = fc.oneof(fc.string({ maxLength: 200 }), value.map((v) => stringify(v) ?? ''), fc.dictionary(tokens, value).map((v) => stringify(v)));
    fc.assert(fc.property(document, (text) => void load(text)), { seed: 7, numRuns: 300 });
  });
});

describe('fault host selection properties', () => {
  const hostsOf = (n: number): SelectableHost[] => Array.from({ length: n }, (_, index) => ({ index, labels: {}, ring: 'broad' }));
  const seed = fc.integer({ min: 0, max: 0xffff_ffff });
  const size = fc.integer({ min: 0, max: 400 });
  const options = { seed: 11, numRuns: 200 };

  it('a fraction selects exactly round(fraction × n) hosts', () => {
    fc.assert(
      fc.property(size, fc.double({ min: 0, max: 1, noNaN: true }), seed, (n, fraction, s) => {
        expect(selectFaultHosts({ fraction }, hostsOf(n), s).size).toBe(Math.round(fraction * n));
      }),
      options,
    );
  });

  it('probability 0 selects no host and probability 1 every host', () => {
    fc.assert(
      fc.property(size, seed, (n, s) => {
        expect(selectFaultHosts({ probability: 0 }, hostsOf(n), s).size).toBe(0);
        expect(selectFaultHosts({ probability: 1 }, hostsOf(n), s).size).toBe(n);
      }),
      options,
    );
  });

  it('the same seed selects the same hosts, in whatever order the hosts are listed', () => {
    const selector = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ fraction })),
      fc.double({ min: 0, max: 1, noNaN: true }).map((probability) => ({ probability })),
    );
    fc.assert(
      fc.property(size, selector, seed, (n, pick, s) => {
        const hosts = hostsOf(n);
        const once = [...selectFaultHosts(pick, hosts, s)].sort((a, b) => a - b);
        const again = [...selectFaultHosts(pick, [...hosts].reverse(), s)].sort((a, b) => a - b);
        expect(again).toEqual(once);
      }),
      options,
    );
  });
});
