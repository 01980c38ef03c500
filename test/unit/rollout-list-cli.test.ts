import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { rolloutCommand } from '../../bin/commands/rollout.ts';
import { ageWaitFor } from '../../rollout/engine/age-wait.ts';
import { overrideAge } from '../../rollout/engine/commands.ts';
import { defaultStorePath } from '../../lab/store/sqlite-database.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { fleetOf, modelLab } from './rollout-harness.ts';
import { WEB_POLICY, WEB_RINGS } from './web-fixtures.ts';

/*
 * `patchlab rollout list` and `rollout status ID` on a real SQLite store in a temp PATCHLAB_HOME:
 * a rollout whose updates are too young says it waits, and until when, not "running"; the
 * status line names the policy a rule picked, not the patch's severity beside it.
 */

const DAY = 86_400_000;
const home = mkdtempSync(join(tmpdir(), 'patchlab-rollout-list-'));
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_DATABASE_URL: '' };
const text = "policy critical-security, picked by rule 'urgent-or-cve' (CVE-2026-1234, urgency high, from the package changelog)";
let out: string[];

beforeAll(async () => {
  const store = openStore(defaultStorePath(env));
  const now = Date.now();
  const lab = modelLab({ hosts: fleetOf(4), rings: WEB_RINGS });
  const young = { ...lab.state, id: 'rollout-young', patch: { ...lab.state.patch, severity: 'high' as const }, ageWait: ageWaitFor([{ name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: now }], 2 * DAY, now) };
  const meta = { policyChoice: { policy: 'critical-security', by: 'rule', rule: 'urgent-or-cve', rulesFrom: 'patchlab.yaml', text } };
  await store.createRollout({ state: young, scenario: 'scenarios/demo.yaml', policy: WEB_POLICY, meta });
  const overridden = overrideAge({ ...young, id: 'rollout-overridden' }, { actor: 'root', reason: 'exploited' }, now);
  await store.createRollout({ state: overridden, scenario: 'scenarios/demo.yaml', policy: WEB_POLICY });
  await store.close();
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

beforeEach(() => {
  out = [];
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(...args.join(' ').split('\n')));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function run(...args: string[]): Promise<string[]> {
  const program = new Command().exitOverride();
  rolloutCommand(program);
  await program.parseAsync(['rollout', ...args], { from: 'user' });
  return out;
}

describe('rollout list and status', () => {
  it('lists a rollout waiting for its updates\' minimum age with until when, and one whose wait was overridden as running', async () => {
    const lines = await run('list');
    const store = openStore(defaultStorePath(env));
    const waitEnds = (await store.loadRollout('rollout-young'))!.state.ageWait!.until;
    await store.close();
    expect(lines.find((l) => l.startsWith('rollout-young'))).toContain(`waiting for age until ${new Date(waitEnds).toISOString()}`);
    expect(lines.find((l) => l.startsWith('rollout-overridden'))).toMatch(/^rollout-overridden\s+running\s+ring canary/);
  });

  it('lists the policy that applies and where it came from: the rule\'s, or the severity of a rollout from before policy choices', async () => {
    const lines = await run('list');
    const young = lines.find((l) => l.startsWith('rollout-young'))!;
    expect(young).toMatch(/ \(\S+, critical-security policy \(rule 'urgent-or-cve' of patchlab\.yaml\)\) /);
    expect(young).not.toContain('high');
    expect(lines.find((l) => l.startsWith('rollout-overridden'))).toMatch(/ \(\S+, high\) /);
  });

  it('names the policy a rule picked and the rule, not the severity the plan had', async () => {
    const lines = await run('status', 'rollout-young');
    expect(lines[0]).toMatch(/^rollout rollout-young: waiting for age until \S+Z, patch \S+ \(\S+, critical-security policy \(rule 'urgent-or-cve' of patchlab\.yaml\)\)$/);
    expect(lines[0]).not.toContain('high');
    expect(lines[1]).toBe(text);
  });
});
