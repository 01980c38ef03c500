import Docker from 'dockerode';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchedExecs } from '../../lab/checks/exec-batch.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { ExecOptions, ExecResult, Host } from '../../lab/hosts/host.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { loadCheckSuite } from '../../lab/run/check-suite.ts';
import { LabSets } from '../../lab/run/lab-sets.ts';
import { ShellSession } from '../../rollout/fleets/containers/shell-session.ts';
import { counted } from '../fixtures/checks/counted-host.ts';

/*
 * The execs of a check, run together: through one exec of sh, and through a shell kept open in
 * the host. On one real `web` container, each command must come back as its own exec gives it:
 * the same stdout, stderr, exit code and timeout, whatever its words hold.
 */

const docker = new Docker();
const runId = `test-exec-batch-${process.pid}`;
let host: Host;
const sessions: ShellSession[] = [];

beforeAll(async () => {
  const image = await resolveImage('web');
  host = await new DockerHostProvider(docker).start({ image: image.tag, runId, role: 'batch' });
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await host?.stop();
});

function session(mayAct?: () => boolean): ShellSession {
  const s = new ShellSession(docker, host.id, mayAct, 'refused: the lease may have run out');
  sessions.push(s);
  return s;
}

const ways = (): [string, Host][] => {
  const kept = session();
  return [
    ['one exec of sh', batchedExecs(host)],
    ['a kept shell', batchedExecs(host, (script, timeoutMs) => kept.run(script, timeoutMs))],
  ];
};

const comparable = ({ exitCode, stdout, stderr, timedOut }: ExecResult) => ({ exitCode, stdout, stderr, timedOut });

// Any text but NUL (which no argv word can hold), with what a shell would act on made likely.
const word = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.constantFrom("'", '"', '$', '`', '\\', '\n', ';', '&', '|', '*', '(', ')', ' ', '$(id)', 'é', '-n', '--'), { maxLength: 8 }).map((a) => a.join('')),
).filter((w) => !w.includes('\0'));

const command = fc.oneof(
  fc.array(word, { maxLength: 4 }).map((words): [string[], ExecOptions] => [['printf', '%s\\0', 'argv:', ...words], {}]),
  fc.tuple(word, fc.integer({ min: 0, max: 3 })).map(([text, code]): [string[], ExecOptions] => [['sh', '-c', 'printf %s "$V" >&2; exit "$1"', 'sh', String(code)], { env: { V: text } }]),
  fc.constant<[string[], ExecOptions]>([['cat', '/etc/no-such-file'], { env: { LC_ALL: 'C' } }]),
);

describe('execs run together', () => {
  it.each(['one exec of sh', 'a kept shell'])('give each command what its own exec gives it, through %s', async (way) => {
    const [, batched] = ways().find(([name]) => name === way) as [string, Host];
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 2, maxLength: 5 }), async (commands) => {
        const together = await Promise.all(commands.map(([argv, options]) => batched.exec(argv, options)));
        const alone = await Promise.all(commands.map(([argv, options]) => host.exec(argv, options)));
        expect(together.map(comparable)).toEqual(alone.map(comparable));
      }),
      { seed: 20261207, numRuns: 12 },
    );
  }, 240_000);

  it.each(['one exec of sh', 'a kept shell'])('end a command at its own time limit and not the others, through %s', async (way) => {
    const [, batched] = ways().find(([name]) => name === way) as [string, Host];
    const [hung, quick] = await Promise.all([batched.exec(['sleep', '30'], { timeoutMs: 1_000 }), batched.exec(['echo', 'ok'], { timeoutMs: 1_000 })]);
    expect(hung).toMatchObject({ exitCode: 124, timedOut: true });
    expect(quick).toMatchObject({ exitCode: 0, stdout: 'ok\n', timedOut: false });
  }, 60_000);

  it.each(['one exec of sh', 'a kept shell'])('run again alone what an output past 4 MiB cut off, and give what it gives alone, through %s', async (way) => {
    const [, batched] = ways().find(([name]) => name === way) as [string, Host];
    const commands: string[][] = [['head', '-c', '5000000', '/dev/zero'], ['echo', 'after the big one']];
    const together = await Promise.all(commands.map((argv) => batched.exec(argv)));
    const alone = await Promise.all(commands.map((argv) => host.exec(argv)));
    expect(together.map(comparable)).toEqual(alone.map(comparable));
    expect(together[1]?.stdout).toBe('after the big one\n');
  }, 60_000);

  it('send a command no shell line can carry (a NUL in a word) alone, and still run the others together', async () => {
    const settled = (results: PromiseSettledResult<ExecResult>[]) => results.map((r) => (r.status === 'fulfilled' ? comparable(r.value) : 'refused'));
    const commands: string[][] = [['echo', 'a\0b'], ['echo', 'ok'], ['echo', 'fine']];
    for (const [, batched] of ways()) {
      const together = await Promise.allSettled(commands.map((argv) => batched.exec(argv)));
      const alone = await Promise.allSettled(commands.map((argv) => host.exec(argv)));
      expect(settled(together)).toEqual(settled(alone));
      expect(settled(together).slice(1)).toEqual([comparable({ exitCode: 0, stdout: 'ok\n', stderr: '', durationMs: 0, timedOut: false }), comparable({ exitCode: 0, stdout: 'fine\n', stderr: '', durationMs: 0, timedOut: false })]);
    }
  }, 60_000);

  it.each(['one exec of sh', 'a kept shell'])('never show one command of a batch to another as a running process, through %s', async (way) => {
    const [, batched] = ways().find(([name]) => name === way) as [string, Host];
    // A goss process check beside a command check of the same name: `nginx -t` is a process called nginx.
    // A sleep of a name of its own: the host's main process is a sleep too.
    const probe = 'cp /bin/sleep /tmp/plprobe-$1 && /tmp/plprobe-$1 0.5; rm -f /tmp/plprobe-$1';
    const [, listing] = await Promise.all([
      batched.exec(['sh', '-c', probe, 'sh', 'a']),
      batched.exec(['sh', '-c', 'sleep 0.2; cat /proc/[0-9]*/comm 2>/dev/null']),
      batched.exec(['sh', '-c', probe, 'sh', 'b']),
    ]);
    expect(listing.stdout).toMatch(/^sh$/m);
    expect(listing.stdout).not.toMatch(/plprobe/);
  }, 60_000);

  it("hide patchlab's own processes (the probe's shells, the kept shell, the container's idle loop) from a goss process check, and nothing else", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-own-shells-'));
    const goss = join(dir, 'goss.yaml');
    writeFileSync(goss, 'process:\n  sh:\n    running: false\n  timeout:\n    running: false\n  sleep:\n    running: false\n');
    const suite = await loadCheckSuite([goss], { screenshotDir: dir });
    const statuses = async (target: Host, label: string) => (await suite.run({ host: target, label })).map((r) => `${label} ${r.id} ${r.status}`);
    try {
      for (const [way, batched] of [['alone', host] as [string, Host], ...ways()]) {
        // Twice: the second round finds the kept shell open and idle.
        for (let round = 0; round < 2; round++) expect(await statuses(batched, way)).toEqual(['pass', 'pass', 'pass'].map((s, i) => `${way} process:${['sh', 'timeout', 'sleep'][i]} ${s}`));
      }
      // A shell and a sleep of the host's own are seen, however the probe reaches the host.
      await host.exec(['sh', '-c', 'nohup sh -c "sleep 300; true" >/dev/null 2>&1 &']);
      for (const [way, batched] of [['alone', host] as [string, Host], ...ways()]) {
        expect(await statuses(batched, way)).toEqual([`${way} process:sh fail`, `${way} process:timeout pass`, `${way} process:sleep fail`]);
      }
    } finally {
      await host.exec(['sh', '-c', 'for p in /proc/[0-9]*; do grep -qs "sleep 300" $p/cmdline && kill ${p#/proc/}; done; true']);
      await suite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('leave nothing behind in the host: each script removes its temp folder', async () => {
    const before = (await host.exec(['sh', '-c', 'ls -a /tmp'])).stdout;
    for (const [, batched] of ways()) await Promise.all([batched.exec(['true']), batched.exec(['echo', 'x'])]);
    expect((await host.exec(['sh', '-c', 'ls -a /tmp'])).stdout).toBe(before);
  }, 60_000);
});

describe("a lab run's checks", () => {
  it('run a host\'s probes of one step as one exec, with the findings, failures and time-outs each probe gives alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-lab-batch-'));
    const goss = join(dir, 'goss.yaml');
    writeFileSync(
      goss,
      [
        'package: {nginx-light: {installed: true}, apache2: {installed: true}}',
        'process: {nginx: {running: true}}',
        'port: {"tcp:80": {listening: false}}',
        'command: {"echo hello": {exit-status: 0, stdout: [hello]}, "echo oops >&2; exit 3": {exit-status: 0}, "sleep 4": {exit-status: 0, timeout: 1000}}',
        'file: {/etc/nginx/sites-available/default: {exists: true, contains: [healthz]}, /etc/no-such: {exists: true}}',
        '',
      ].join('\n'),
    );
    const suite = await loadCheckSuite([goss], { screenshotDir: dir });
    try {
      const alone = counted(host);
      const expected = await suite.run({ host: alone.host, label: 'baseline' });
      const inRun = counted(host);
      // The run's own host set, on this test's container: start() hands it over, and the run's checks go through runChecks.
      const sets = new LabSets([{ name: 'web', image: { name: 'web', tag: 'unused' }, checks: suite }], { provider: { start: async () => inRun.host }, runId, mounts: [] });
      const results = await sets.runChecks(await sets.start('baseline'), 'baseline');
      const findings = (list: { id: string; status: string; message: string }[]) => list.map((r) => `${r.id} ${r.status} ${r.message}`);
      expect(findings(results)).toEqual(findings(expected));
      expect(findings(results).filter((f) => !f.includes(' pass '))).toEqual([
        expect.stringMatching(/^package:apache2 fail installed: expected true/),
        expect.stringMatching(/^process:nginx fail running: expected true/),
        expect.stringMatching(/^command:echo oops >&2; exit 3 fail exit-status: expected 0, got 3/),
        expect.stringMatching(/^command:sleep 4 error .*timed out after 1000 ms/),
        expect.stringMatching(/^file:\/etc\/no-such fail exists: expected true/),
      ]);
      // One exec per probe alone; one per step together (a file's stat, then its contents).
      expect(alone.execs()).toBeGreaterThanOrEqual(results.length);
      expect(inRun.execs()).toBeLessThanOrEqual(2);
    } finally {
      await suite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a shell kept open in a host', () => {
  it('opens a new shell when the one it had died, and says so for the script that was running', async () => {
    const kept = session();
    expect(await kept.run('echo first', 10_000)).toMatchObject({ exitCode: 0, stdout: 'first\n' });
    // $$ in the script's subshell is the kept shell itself.
    expect(await kept.run('kill -9 $$', 10_000)).toMatchObject({ exitCode: 124, timedOut: false });
    expect(await kept.run('echo again', 10_000)).toMatchObject({ exitCode: 0, stdout: 'again\n' });
  }, 60_000);

  it('gives up on a script past its limit, and the next script still runs', async () => {
    const kept = session();
    expect(await kept.run('sleep 20', 1_000)).toMatchObject({ exitCode: 124, timedOut: true });
    expect(await kept.run('echo after', 10_000)).toMatchObject({ exitCode: 0, stdout: 'after\n' });
  }, 60_000);

  it('sends nothing once the driver may no longer act (its lease ran out)', async () => {
    let mayAct = true;
    const kept = session(() => mayAct);
    await kept.run('true', 10_000);
    mayAct = false;
    await expect(kept.run('touch /tmp/touched-after-lease', 10_000)).rejects.toThrow('the lease may have run out');
    expect((await host.exec(['test', '-e', '/tmp/touched-after-lease'])).exitCode).toBe(1);
  }, 60_000);
});
