import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import type { LabBisectReport } from '../../lab/bisect/lab-bisect.ts';
import { nginxBreakingDeb } from '../../lab/patches/synthetic-deb.ts';
import type { CandidatePatch } from '../../lab/patches/request.ts';
import type { LabReport } from '../../lab/run/report.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');
const goss = join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions', 'web', 'web.goss.yaml');

async function patchlab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(bin, args, { maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

type Advised = CandidatePatch & { advisory: SourceAdvisory | null };

/** The web image's pending security updates with their advisories, asked once for both tests. */
let listing: Promise<Advised[]> | undefined;
function pendingSecurity(): Promise<Advised[]> {
  listing ??= patchlab(['patches', 'list', '--image', 'web', '--security-only', '--json']).then((listed) => {
    if (listed.code !== 0) throw new Error(`patches list failed: ${listed.stderr}`);
    return JSON.parse(listed.stdout) as Advised[];
  });
  return listing;
}

describe('advisories from the real pending security updates', () => {
  it('patches list reads CVE ids and urgency from the changelogs of the updates it fetched', async () => {
    const pending = await pendingSecurity();
    if (pending.length === 0) return void console.warn('skipped: the web image has no pending security update today');
    for (const c of pending) {
      const advisory = c.advisory as SourceAdvisory;
      expect(advisory.binaries.map((b) => b.name)).toContain(c.name);
      // Every real Debian update ships its changelog; its newest entry is the update itself.
      expect(advisory.changelogFrom, `${c.name}: ${advisory.notes.join('; ')}`).toMatch(/\.deb:\/usr\/share\/doc\/[^/]+\/changelog(\.Debian)?\.gz$/);
      expect(advisory.entries.length).toBeGreaterThan(0);
      expect(advisory.severity.basis).toMatch(/^from the package changelog: /);
      for (const link of advisory.links.filter((l) => l.id.startsWith('CVE-'))) expect(link.url).toBe(`https://security-tracker.debian.org/tracker/${link.id}`);
    }
    // Security updates name what they fix.
    expect(pending.some((c) => (c.advisory?.cves.length ?? 0) > 0)).toBe(true);
  }, 300_000);

  it('a lab run reports them; lab bisect finds the .deb that breaks nginx among real updates, and the rest passes', async () => {
    // Small, quick updates, when they are pending: the point is the bisection, not the packages.
    const pending = await pendingSecurity();
    const preferred = ['tzdata', 'libpcre2-8-0', 'zlib1g', 'liblzma5', 'libzstd1'];
    const chosen = preferred.filter((name) => pending.some((c) => c.name === name)).slice(0, 2);
    if (chosen.length === 0) return void console.warn(`skipped: none of ${preferred.join(', ')} is a pending security update today`);
    const deb = nginxBreakingDeb(mkdtempSync(join(tmpdir(), 'patchlab-deb-')));
    const reportDir = mkdtempSync(join(tmpdir(), 'patchlab-report-'));
    const failing = await patchlab(['lab', 'run', '--image', 'web', '--patch', [...chosen, deb].join(','), '--checks', goss, '--report-dir', reportDir]);
    expect(failing.code, failing.stdout + failing.stderr).toBe(1);
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as LabReport;
    const advised = report.advisories ?? [];
    expect(advised.flatMap((a) => a.binaries.map((b) => b.name)).sort()).toEqual([...chosen].sort());
    expect(advised.every((a) => a.changelogFrom && a.entries.length > 0)).toBe(true);
    expect(failing.stdout).toContain("advisories (read from each package's changelog):");

    const bisected = await patchlab(['lab', 'bisect', reportDir, '--checks', goss, '--json']);
    expect(bisected.code, bisected.stderr).toBe(0);
    const bisect = JSON.parse(bisected.stdout) as LabBisectReport;
    expect(bisect.culprits.map((c) => c.items.flatMap((i) => i.debs))).toEqual([[deb]]);
    expect(bisect.culprits[0]?.breaks.some((b) => /check http .*broken by the patch/.test(b))).toBe(true);
    expect(bisect.hold).toEqual([]);
    expect(bisect.leaveOut).toEqual([deb]);
    expect(bisect.rest.patch.map((w) => w.split('=')[0]).sort()).toEqual([...chosen].sort());
    // The rest was proven by a run that passed, and one culprit among N items took at most ceil(log2 N) + 2 runs.
    const restStep = bisect.steps.find((s) => s.runId === bisect.rest.runId);
    expect(restStep?.outcome).toBe('pass');
    expect(bisect.testsRun).toBeLessThanOrEqual(Math.ceil(Math.log2(bisect.items.length)) + 2);
  }, 600_000);
});
