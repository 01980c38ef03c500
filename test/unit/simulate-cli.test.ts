import { Command, CommanderError } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { InputError } from '../../lab/config/validation.ts';
import { simulate, simulateCommand } from '../../bin/commands/simulate.ts';

const dir = mkdtempSync(join(tmpdir(), 'patchlab-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenarioFile = join(dir, 'sim.yaml');
writeFileSync(
  scenarioFile,
  stringify({
    name: 'sim',
    image: 'web',
    patch: 'security',
    fleet: { hosts: 16, groups: [{ count: 8, labels: { site: 'paris' } }], simulate: { hosts: 400, seed: 3, patchDuration: '1m' } },
    rings: [
      { name: 'canary', hosts: 4, concurrency: 4, soak: '30m' },
      { name: 'pilot', hosts: '20%', concurrency: '50%', soak: '1h', failureBudget: 2 },
      { name: 'broad', hosts: 'rest', concurrency: '25%', soak: '1h', failureBudget: '5%' },
    ],
    policy: { checkInterval: '1m' },
    faults: [{ kind: 'bad-package', hosts: { probability: 0.02 } }],
  }),
);

/** What the command printed, line by line. */
let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(...args.join(' ').split('\n')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

function program(): { program: Command; errors: string[] } {
  const errors: string[] = [];
  const root = new Command('patchlab').exitOverride().configureOutput({ writeErr: (s) => void errors.push(s), writeOut: () => undefined });
  simulateCommand(root);
  return { program: root, errors };
}

describe('patchlab simulate', () => {
  it('prints the model, the policy comparison and the path of the SVG plot it wrote', async () => {
    await simulate(scenarioFile, { out: dir });
    const text = out.join('\n');
    expect(out[0]).toBe('scenario sim: 400 simulated hosts, seed 3, standard policy');
    expect(out[1]).toMatch(/^model: patch takes 1 min \(median, spread 0\.5\), rollback 1 min; checks every 1 min/);
    expect(out[2]).toBe('faults: bad-package');
    const header = out.find((l) => l.startsWith('policy '));
    expect(header).toMatch(/policy\s+rings \(hosts\)\s+soak\s+outcome\s+95 % patched after\s+blast radius\s+false rollback\s+rolled back in canary\s+engine steps/);
    for (const name of ['as written', '1/9/90, soak 1 h', '1/9/90, soak 24 h', '5/15/80, soak 1 h', '5/15/80, soak 24 h']) {
      expect(out.some((l) => l.startsWith(`${name} `))).toBe(true);
    }
    expect(out.find((l) => l.startsWith('as written '))).toMatch(/4 \/ 80 \/ 316\s+30 min \/ 1 h \/ 1 h/);
    expect(text).toMatch(/\(expected \d+(\.\d+)? %\)/);
    const plot = join(dir, 'sim-400-hosts-seed-3.svg');
    expect(out.at(-1)).toBe(`plot: ${plot}`);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(5);
  });

  it('prints JSON with --json, and takes --hosts, --seed and --runs', async () => {
    await simulate(scenarioFile, { hosts: 100, seed: 11, runs: 3, out: dir, json: true });
    const report = JSON.parse(out.join('\n'));
    expect(report).toMatchObject({ scenario: 'sim', hosts: 100, seed: 11, runs: 3, plot: join(dir, 'sim-100-hosts-seed-11.svg') });
    expect(report.policies).toHaveLength(5);
    expect(report.policies[0].results.map((r: { seed: number }) => r.seed)).toEqual([11, 12, 13]);
    expect(report.policies[0].canary.expected).toBeCloseTo(1 - 0.98 ** 4, 10);
    expect(existsSync(report.plot)).toBe(true);
  });

  it('compares the policies of a file with the scenario as written', async () => {
    const policies = join(dir, 'policies.yaml');
    writeFileSync(
      policies,
      stringify({
        policies: [
          { name: 'two rings', rings: [{ name: 'canary', hosts: 10, concurrency: 10, soak: '2h' }, { name: 'rest', hosts: 'rest', concurrency: '50%', soak: '1h', failureBudget: '5%' }] },
          { name: 'patient', policy: { soakFactor: 4 } },
        ],
      }),
    );
    await simulate(scenarioFile, { hosts: 200, out: dir, policies });
    expect(out.filter((l) => /^(as written|two rings|patient) /.test(l)).map((l) => l.split(/\s{2,}/)[0])).toEqual(['as written', 'two rings', 'patient']);
    expect(out.find((l) => l.startsWith('patient '))).toMatch(/2 h \/ 4 h \/ 4 h/);
  });

  it('names the file and the field of a policy that is wrong', async () => {
    const policies = join(dir, 'bad-policies.yaml');
    writeFileSync(policies, stringify({ policies: [{ name: 'fine' }, { name: 'typo', rings: [{ name: 'canary', hosts: 2, soak: '10 minutes' }, { name: 'rest', hosts: 'rest', soak: '1h' }] }] }));
    await expect(simulate(scenarioFile, { hosts: 200, out: dir, policies })).rejects.toThrow(InputError);
    await expect(simulate(scenarioFile, { hosts: 200, out: dir, policies })).rejects.toThrow(
      /bad-policies\.yaml: policies\[1\]\.rings\[0\]\.soak: expected a duration such as 30s, 5m, 1h or 24h/,
    );
    writeFileSync(policies, stringify({ policies: [{ name: 'a', ring: [] }] }));
    await expect(simulate(scenarioFile, { out: dir, policies })).rejects.toThrow(/policies\[0\]: unknown key "ring"; expected only name, rings, policy/);
  });

  it('says which ring a fleet of --hosts hosts cannot fill', async () => {
    await expect(simulate(scenarioFile, { hosts: 6, out: dir })).rejects.toThrow(`${scenarioFile}: rings[2].hosts: expected hosts left for "rest" (--hosts is 6, earlier rings can take 6)`);
    await expect(simulate(scenarioFile, { hosts: 4, out: dir })).rejects.toThrow(`${scenarioFile}: rings[1].hosts: expected at most 0 hosts (--hosts is 4, earlier rings can take 4), ring pilot asks for 1`);
  });

  it('refuses a flag it cannot use, naming it and what it expects', async () => {
    for (const [flag, value, expected] of [
      ['--hosts', '0', /option '--hosts <n>' argument '0' is invalid\. expected a whole number from 1 to 1,000,000/],
      ['--hosts', 'many', /option '--hosts <n>' argument 'many' is invalid/],
      ['--seed', '-1', /option '--seed <n>' argument '-1' is invalid\. expected a whole number from 0 to 4,294,967,295/],
      ['--tick', '5 minutes', /option '--tick <duration>' argument '5 minutes' is invalid\. expected a duration such as 30s, 1m or 1h/],
    ] as const) {
      const { program: root, errors } = program();
      await expect(root.parseAsync(['node', 'patchlab', 'simulate', scenarioFile, flag, value])).rejects.toThrow(CommanderError);
      expect(errors.join('')).toMatch(expected);
    }
  });

  it('names the scenario file and field of a wrong simulation setting', async () => {
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(wrong, stringify({ name: 'wrong', image: 'web', patch: 'security', fleet: { hosts: 4, simulate: { patchDuration: 'soon' } } }));
    await expect(simulate(wrong, { out: dir })).rejects.toThrow(/wrong\.yaml: fleet\.simulate\.patchDuration: expected a duration/);
  });
});
