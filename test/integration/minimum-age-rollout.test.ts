import Docker from 'dockerode';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { storedPolicyChoice } from '../../rollout/drive/policy-choice.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { defaultUserStorePath, UserStore } from '../../web/auth/user-store.ts';

/*
 * A team's project says "roll out only updates seen for 3 days" and picks the policy by rule.
 * `patchlab rollout start` of a real pending update (tzdata) on two real containers: the update
 * was never seen before, so the rollout waits 3 days, patching nothing, and says until when; a
 * release manager may not cut the wait short, an admin may, with a reason in the audit log; then
 * the rollout goes on and completes, and its fleet is gone.
 */

const bin = join(projectRoot, 'bin/patchlab');
const home = mkdtempSync(join(tmpdir(), 'patchlab-age-'));
const project = mkdtempSync(join(tmpdir(), 'patchlab-age-project-'));
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root, PATCHLAB_PROJECT: project };
const id = `rollout-age-${process.pid}`;
const cli = (args: string[]) =>
  promisify(execFile)(bin, args, { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

writeFileSync(
  join(project, 'patchlab.yaml'),
  `policyRules:
  - { name: urgent-or-cve, when: { urgency: [high, emergency, critical], cve: true }, policy: critical-security }
  - { name: routine, policy: standard }
minimumAge: 3d
`,
);
writeFileSync(
  join(project, 'age-wait.yaml'),
  `name: age-wait
image: web
patch: tzdata
fleet: { hosts: 2 }
rings:
  - { name: all, hosts: rest, concurrency: 2, soak: 2s }
policy: { checkInterval: 1s, checkTimeout: 30s }
`,
);

describe('a rollout of an update younger than the minimum age', () => {
  it('waits with the date, patches nothing, and goes on once an admin overrides the wait', async () => {
    const users = UserStore.open(defaultUserStorePath(env), { cost: { N: 1024, r: 8, p: 1 } });
    await users.addUser('alice', 'release-manager', 'correct horse battery');
    await users.addUser('root', 'admin', 'correct horse battery');
    users.close();
    const store = openStore(join(home, 'patchlab.db'));
    const child = spawn(bin, ['rollout', 'start', join(project, 'age-wait.yaml'), '--id', id], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!output.includes('an admin overrides it with')) {
        if (Date.now() - started > 240_000) throw new Error(`the rollout never started waiting:\n${output}`);
        await sleep(200);
      }
      // The driver decides four times a second: a dozen decisions that patch nothing.
      await sleep(3_000);
      const waiting = (await store.loadRollout(id))!;
      expect(waiting.state.hosts.map((h) => h.phase)).toEqual(['pending', 'pending']);
      const wait = waiting.state.ageWait!;
      // Nobody saw this tzdata before: it is first seen by this rollout, and old enough 3 days later.
      expect(wait.young.map((u) => u.name)).toEqual(['tzdata']);
      expect(wait.until - wait.young[0]!.firstSeenAt).toBe(3 * 86_400_000);
      const until = new Date(wait.until).toISOString();

      const choice = storedPolicyChoice(waiting.meta)!;
      expect(choice.by).toBe('rule');
      // What Debian's tzdata changelog says changes with its releases (on 2026-12-07: urgency medium, no CVE); the rule and its figures are read from it.
      expect(choice.text).toMatch(/^policy (critical-security|standard) as adjusted by age-wait, picked by rule '(urgent-or-cve|routine)' \(.*(from the package changelog|in the changelogs of tzdata)\)$/);
      expect(choice.evidence?.sources).toEqual(['tzdata']);
      expect(waiting.policy.name).toBe(choice.policy);

      const status = await cli(['rollout', 'status', id]);
      expect(status.stdout).toContain(choice.text);
      expect(status.stdout).toContain(`waiting until ${until}: the minimum age is 3 d and 1 update is younger: tzdata `);

      const refused = await cli(['rollout', 'override-age', id, '--reason', 'hurry', '--by', 'alice']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('override-age needs the admin role: alice is a release-manager');
      const overridden = await cli(['rollout', 'override-age', id, '--reason', 'CVE fixed upstream is exploited', '--by', 'root']);
      expect(overridden.code, overridden.stderr).toBe(0);

      expect(await exited).toBe(0);
      const final = (await store.loadRollout(id))!.state;
      expect(final.phase).toBe('completed');
      expect(final.hosts.every((h) => h.version === final.patch.version)).toBe(true);
      const override = final.audit.find((e) => e.action === 'override-age');
      expect(override).toMatchObject({ actor: 'root', reasons: ['CVE fixed upstream is exploited'] });
      // Nothing was patched before the override.
      expect(final.audit.findIndex((e) => e.action === 'patch-hosts')).toBeGreaterThan(final.audit.indexOf(override!));
      expect(await new Docker().listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${id}`] } })).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      // An interrupted rollout keeps its fleet on purpose; this test's must go whatever happened.
      await cli(['lab', 'reap', '--run', id]);
      await store.close();
    }
  }, 360_000);
});
