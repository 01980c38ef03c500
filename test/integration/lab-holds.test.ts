import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { LabReport } from '../../lab/run/report.ts';

const bin = join(projectRoot, 'bin/patchlab');
const home = mkdtempSync(join(tmpdir(), 'patchlab-holds-'));
const env = { ...process.env, PATCHLAB_HOME: home, PATCHLAB_CACHE: new PackageCache().root, PATCHLAB_USER: 'alice' };
const cli = (args: string[]) =>
  promisify(execFile)(bin, args, { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('a held package', () => {
  it('never reaches a twin: the lab run leaves it out, says who held it and why, and the record keeps the hold and its lift', async () => {
    expect((await cli(['holds', 'add', 'tzdata', '--reason', 'the DST fix is not out yet'])).code).toBe(0);
    const reportDir = join(home, 'report');
    const run = await cli(['lab', 'run', '--image', 'web', '--patch', 'tzdata', '--report-dir', reportDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/left out: tzdata \S+ \(held by alice: the DST fix is not out yet\)/);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as LabReport;
    expect(report.reasons[0]).toMatch(/^nothing to patch/);
    expect(report.patch.packages).toEqual([]);
    expect(report.held).toEqual([expect.stringMatching(/^tzdata /)]);

    expect((await cli(['holds', 'lift', 'tzdata', '--reason', 'fix released'])).code).toBe(0);
    expect((await cli(['holds', 'list'])).stdout).toBe('');
    expect((await cli(['holds', 'log'])).stdout).toMatch(/hold tzdata +alice: the DST fix is not out yet\n.*lift tzdata +alice: fix released\n$/);
    expect((await cli(['holds', 'lift', 'tzdata', '--reason', 'again'])).stderr).toContain('tzdata is not held');
  }, 240_000);
});
