import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { nginxBreakingDeb } from '../../lab/patches/synthetic-deb.ts';
import type { LabReport } from '../../lab/run/report.ts';

const run = promisify(execFile);
const docker = new Docker();
const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');

interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  report?: LabReport;
  reportDir: string;
}

async function patchlab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliOutcome> {
  const reportDir = mkdtempSync(join(tmpdir(), 'patchlab-report-'));
  const withReport = args[0] === 'lab' && args[1] === 'run' ? [...args, '--report-dir', reportDir] : args;
  const outcome = await run(bin, withReport, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const file = join(reportDir, 'report.json');
  return { ...outcome, reportDir, ...(existsSync(file) ? { report: JSON.parse(readFileSync(file, 'utf8')) as LabReport } : {}) };
}

async function containersOf(runId: string | undefined): Promise<number> {
  const filter = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
  return (await docker.listContainers({ all: true, filters: { label: [filter] } })).length;
}

describe('patchlab lab run', () => {
  it('passes the real pending security updates on the web image and proves they roll back', async () => {
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'security']);
    const report = outcome.report as LabReport;
    expect(report.verdict, `${outcome.stdout}\n${outcome.stderr}`).toBe('pass');
    expect(outcome.code).toBe(0);
    expect(report.patch.packages.length).toBeGreaterThan(0);
    expect(report.patch.packages.every((p) => p.security)).toBe(true);
    // Every package the patch changed is recorded before and after, and rollback restored them all.
    expect(report.install?.changes.length).toBeGreaterThan(0);
    expect(report.install?.changes.every((c) => c.before !== c.after)).toBe(true);
    expect(report.rollback).toMatchObject({ restored: true, remaining: [] });
    expect(report.checks.some((c) => c.kind === 'http' && c.comparison === 'ok')).toBe(true);
    expect(report.checks.some((c) => c.kind === 'browser' && c.patched?.evidence?.screenshot)).toBe(true);
    for (const c of report.checks.filter((c) => c.kind === 'browser')) expect(existsSync(c.patched?.evidence?.screenshot ?? '')).toBe(true);
    expect(readFileSync(join(outcome.reportDir, 'junit.xml'), 'utf8')).toContain('failures="0" errors="0"');
    expect(outcome.stdout).toContain('verdict: PASS');
    expect(await containersOf(report.runId)).toBe(0);
  }, 300_000);

  it('reuses package lists another run refreshed minutes ago, and the plan worked out from them, and says so; --refresh refreshes them', async () => {
    const goss = join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions', 'web', 'web.goss.yaml');
    // A cache of its own: no other test's refresh comes between the two runs.
    const cache = { PATCHLAB_CACHE: mkdtempSync(join(tmpdir(), 'patchlab-cache-')) };
    onTestFinished(() => rmSync(cache.PATCHLAB_CACHE, { recursive: true, force: true }));
    const forced = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--checks', goss, '--refresh'], cache);
    expect(forced.report?.verdict, `${forced.stdout}\n${forced.stderr}`).toBe('pass');
    expect(forced.report?.lists).toMatchObject({ refreshed: true, ageMs: 0, reason: 'asked' });
    expect(forced.stdout).toContain('package lists: refreshed by this run (asked)');
    expect(forced.report?.patch.planReused).toBe(false);
    const again = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--checks', goss], cache);
    expect(again.report?.verdict, `${again.stdout}\n${again.stderr}`).toBe('pass');
    expect(again.report?.lists?.refreshed).toBe(false);
    expect(again.report?.lists?.refreshedAt).toBe(forced.report?.lists?.refreshedAt);
    expect(again.report?.lists?.ageMs).toBeGreaterThan(0);
    // In seconds, or whole minutes past two: a loaded machine can take that long over the first run.
    expect(again.stdout).toMatch(/package lists: reused, refreshed \d+ (s|min) ago/);
    // Same lists, same image: the same candidates and the same patch, this time without asking apt.
    expect(again.report?.patch.planReused).toBe(true);
    expect(again.stdout).toContain('plan reused from an earlier run on the same image and lists');
    expect(again.report?.candidates).toEqual(forced.report?.candidates);
    expect(again.report?.patch.packages).toEqual(forced.report?.patch.packages);
    expect(again.report?.patch.downloadedBytes).toBe(0);
  }, 300_000);

  it('fails a .deb that breaks nginx, naming the http check, and the rollback restores a passing host', async () => {
    const deb = nginxBreakingDeb(mkdtempSync(join(tmpdir(), 'patchlab-deb-')));
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', deb]);
    const report = outcome.report as LabReport;
    expect(report.verdict, outcome.stdout + outcome.stderr).toBe('fail');
    expect(outcome.code).toBe(1);
    const http = report.checks.filter((c) => c.kind === 'http');
    expect(http.length).toBeGreaterThan(0);
    expect(http.every((c) => c.comparison === 'broken-by-patch')).toBe(true);
    expect(report.reasons.some((r) => /check http .*broken by the patch/.test(r))).toBe(true);
    expect(report.services.patched?.ok).toBe(false);
    expect(report.services.patched?.output).toMatch(/worker_tuning_level/);
    expect(report.rollback).toMatchObject({ restored: true, purged: ['patchlab-nginx-tuning'] });
    expect(report.services.afterRollback?.ok).toBe(true);
    expect(http.every((c) => c.afterRollback?.status === 'pass')).toBe(true);
    expect(readFileSync(join(outcome.reportDir, 'junit.xml'), 'utf8')).toMatch(/<failure message="broken by the patch/);
    expect(await containersOf(report.runId)).toBe(0);
  }, 300_000);
});

describe('bad input ends in a clear error and leaves nothing behind', () => {
  it('a missing image', async () => {
    const outcome = await patchlab(['lab', 'run', '--image', 'no-such-image:1', '--patch', 'security']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('image "no-such-image:1": not a built-in definition (db, web) and no such image on this Docker engine');
    // Refused before a run begins: a run names itself before it starts any container. (Counting
    // the engine's containers instead would count those of tests running beside this one.)
    expect(outcome.stderr).not.toMatch(/run lab-/);
    expect(outcome.report).toBeUndefined();
  });

  it('a package name with shell metacharacters, before anything starts', async () => {
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'nginx;touch /tmp/x']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('--patch: "nginx;touch /tmp/x" is not a Debian package name');
  });

  it('an unknown package: the run is marked error and names it', async () => {
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'no-such-package']);
    expect(outcome.code).toBe(2);
    expect(outcome.report?.verdict).toBe('error');
    expect(outcome.report?.reasons[0]).toMatch(/package no-such-package has no pending update on image web \(upgradable: .*nginx/);
    expect(await containersOf(outcome.report?.runId)).toBe(0);
  }, 120_000);

  it('a malformed check file names the file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-checks-'));
    const file = join(dir, 'bad.goss.yaml');
    writeFileSync(file, 'http:\n  http://localhost/:\n    status: "two hundred"\n');
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'security', '--checks', file]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(file);
    expect(outcome.stderr).toMatch(/http\.http:\/\/localhost\/\.status/);
  });

  it('a check that hangs: error naming the host and the command, no container left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-checks-'));
    const file = join(dir, 'hang.goss.yaml');
    writeFileSync(file, 'command:\n  sleep 600:\n    exit-status: 0\n    timeout: 1500\n');
    const outcome = await patchlab(['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--checks', file]);
    const report = outcome.report as LabReport;
    expect(report.verdict, outcome.stdout + outcome.stderr).toBe('error');
    expect(outcome.code).toBe(2);
    expect(report.reasons[0]).toMatch(/sleep 600/);
    expect(report.reasons[0]).toContain(report.hosts.baseline);
    expect(report.reasons[0]).toMatch(/timed out/);
    expect(await containersOf(report.runId)).toBe(0);
  }, 180_000);
});
