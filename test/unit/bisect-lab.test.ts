import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { itemsOfRun, loadRunReport, patchWords } from '../../lab/bisect/bisect-items.ts';
import { bisectRun, summarizeBisect, type LabBisectReport } from '../../lab/bisect/lab-bisect.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';
import type { LabReport } from '../../lab/run/report.ts';

const dir = mkdtempSync(join(tmpdir(), 'patchlab-bisect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const advisory = (source: string, names: string[]) => ({
  source,
  binaries: names.map((name) => ({ name, installed: '1-1', candidate: '1-2' })),
  installed: '1-1',
  candidate: '1-2',
  entries: [],
  cves: [],
  dsas: [],
  dlas: [],
  bugs: [],
  severity: { level: 'unknown' as const, basis: 'no changelog in the package' },
  links: [],
  notes: [],
});

function failingRun(debs: string[] = []): LabReport {
  const upgrade = (name: string) => ({ name, from: '1-1', to: '1-2', security: true });
  return {
    runId: 'lab-original',
    image: { name: 'web', tag: 'patchlab/web:x' },
    hostKind: 'container',
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    verdict: 'fail',
    reasons: ['check http http://localhost/ broken by the patch: connection refused'],
    patch: {
      request: ['security'],
      packages: [upgrade('libssl3'), upgrade('openssl'), upgrade('tzdata'), upgrade('zlib1g'), { name: 'libnew1', to: '1-1' }, { name: 'patchlab-nginx-tuning', to: '1.0-1' }],
      debs,
      downloadedBytes: 0,
      reusedFiles: 0,
    },
    candidates: [],
    advisories: [advisory('openssl', ['libssl3', 'openssl']), advisory('tzdata', ['tzdata'])],
    services: {},
    checks: [],
    timings: {},
    hosts: {},
  };
}

/** A lab stand-in: a subset fails when it holds a breaking word; each call is a run with its own id. */
function fakeLab(breaking: (word: string) => boolean, calls: string[][] = []) {
  return async (patch: string[], reportDir: string): Promise<LabReport> => {
    calls.push(patch);
    const bad = patch.filter(breaking);
    return {
      ...failingRun(),
      runId: `lab-${calls.length}`,
      verdict: bad.length > 0 ? 'fail' : 'pass',
      reasons: bad.map((w) => `check http broken by the patch: ${w}`),
      patch: { ...failingRun().patch, request: patch },
      hosts: { reportDir },
    };
  };
}

describe('lab bisect', () => {
  it('makes one item per source package and per .deb, leaving out what apt pulls in new', () => {
    const items = itemsOfRun(failingRun(['/tmp/x/patchlab-nginx-tuning_1.0-1_all.deb']), new Map([['/tmp/x/patchlab-nginx-tuning_1.0-1_all.deb', 'patchlab-nginx-tuning']]));
    expect(items.map((i) => i.label)).toEqual(['openssl', 'tzdata', 'zlib1g', 'patchlab-nginx-tuning_1.0-1_all.deb']);
    expect(patchWords(items.slice(0, 1))).toEqual(['libssl3=1-2', 'openssl=1-2']);
    expect(patchWords(items.slice(3))).toEqual(['/tmp/x/patchlab-nginx-tuning_1.0-1_all.deb']);
  });

  it('finds the source that breaks the run, names what it breaks, proposes a hold and proves the rest passes', async () => {
    const deb = buildDeb({ name: 'patchlab-nginx-tuning', version: '1.0-1', description: 'stand-in', files: [] }, dir);
    const calls: string[][] = [];
    const out = join(dir, 'bisect-1');
    const bisect = await bisectRun({ bisectId: 'bisect-1', report: failingRun([deb]), dir: out, runSubset: fakeLab((w) => w.startsWith('openssl='), calls) });
    expect(bisect.culprits.map((c) => c.items.map((i) => i.label))).toEqual([['openssl']]);
    expect(bisect.culprits[0]?.breaks).toEqual(['check http broken by the patch: openssl=1-2']);
    expect(bisect.hold).toEqual(['libssl3', 'openssl']);
    expect(bisect.leaveOut).toEqual([]);
    expect(bisect.rest.patch).toEqual(['tzdata=1-2', 'zlib1g=1-2', deb]);
    expect(bisect.rest.runId).toMatch(/^lab-\d+$/);
    // 4 items, one culprit: at most ceil(log2 4) + 2 runs, each recorded with its run.
    expect(bisect.testsRun).toBe(calls.length);
    expect(bisect.testsRun).toBeLessThanOrEqual(4);
    expect(bisect.steps.every((s) => s.runId && s.outcome)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'bisect.json'), 'utf8'))).toEqual(bisect);
    const text = summarizeBisect(bisect);
    expect(text).toContain('culprit: openssl (libssl3 1-2, openssl 1-2)');
    expect(text).toContain('proposed hold: apt-mark hold libssl3 openssl');
    expect(text).toMatch(/rest passes in run lab-\d+: --patch tzdata=1-2,zlib1g=1-2,/);
  });

  it('finds two independent culprits, and the run that proves each', async () => {
    const bisect = await bisectRun({
      bisectId: 'bisect-2',
      report: failingRun(),
      dir: join(dir, 'bisect-2'),
      concurrency: 2,
      runSubset: fakeLab((w) => w.startsWith('tzdata=') || w.startsWith('zlib1g=')),
    });
    expect(bisect.culprits.map((c) => c.items.map((i) => i.label)).sort()).toEqual([['tzdata'], ['zlib1g']]);
    expect(bisect.rest.patch).toEqual(['libssl3=1-2', 'openssl=1-2']);
  });

  it('hands over the bisection as it goes, each step started then finished, and last the result', async () => {
    const seen: LabBisectReport[] = [];
    const bisect = await bisectRun({
      bisectId: 'bisect-live',
      report: failingRun(),
      dir: join(dir, 'bisect-live'),
      runSubset: fakeLab((w) => w.startsWith('tzdata=')),
      onUpdate: async (report) => void seen.push(structuredClone(report)),
    });
    expect(seen.at(-1)).toEqual(bisect);
    expect(bisect.status).toBe('finished');
    expect(seen.slice(0, -1).every((r) => r.status === 'running' && r.culprits.length === 0)).toBe(true);
    // First nothing run yet; then for every step a picture with it running (no outcome) and one with its verdict and run.
    expect(seen[0]?.steps).toEqual([]);
    for (const step of bisect.steps) {
      expect(seen.some((r) => r.steps.some((s) => s.index === step.index && s.outcome === undefined))).toBe(true);
      expect(seen.some((r) => r.status === 'running' && r.steps.some((s) => s.index === step.index && s.outcome === step.outcome && s.runId === step.runId))).toBe(true);
    }
  });

  it('stops before it would start more lab runs than allowed, and says so in what it hands over', async () => {
    const seen: LabBisectReport[] = [];
    const calls: string[][] = [];
    await expect(
      bisectRun({ bisectId: 'bisect-cap', report: failingRun(), dir: join(dir, 'bisect-cap'), maxLabRuns: 1, runSubset: fakeLab((w) => w.startsWith('zlib1g='), calls), onUpdate: async (r) => void seen.push(r) }),
    ).rejects.toThrow('stopped before lab run 2: at most 1 lab run(s) allowed');
    expect(calls).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ status: 'stopped', maxLabRuns: 1, testsRun: 1, error: expect.stringContaining('at most 1 lab run(s)') });
    expect(seen.at(-1)?.finishedAt).toBeTruthy();
  });

  it('stops with a clear error when a step ends in a lab error, or the run cannot be bisected', async () => {
    const broken = async (): Promise<LabReport> => ({ ...failingRun(), runId: 'lab-err', verdict: 'error', reasons: ['lab error: docker went away'] });
    await expect(bisectRun({ bisectId: 'b', report: failingRun(), dir: join(dir, 'b'), runSubset: broken })).rejects.toThrow(
      /step 1 \(run lab-err, .*\) ended in a lab error, which says nothing about the packages: lab error: docker went away/,
    );
    expect(() => itemsOfRun({ ...failingRun(), verdict: 'pass' })).toThrow('lab bisect: run lab-original passed: nothing to bisect');
    await expect(bisectRun({ bisectId: 'b', report: failingRun(['/nonexistent/x.deb']), dir: join(dir, 'b'), runSubset: broken })).rejects.toThrow(
      'the .deb /nonexistent/x.deb of run lab-original is gone',
    );
  });

  it('loads a run report by id or folder, and names the file and field of a bad one', () => {
    const runs = join(dir, 'runs');
    expect(() => loadRunReport('lab-nope', runs)).toThrow(/no report of run "lab-nope" \(looked for .*runs\/lab-nope\/report\.json/);
    const folder = join(dir, 'runs', 'lab-bad');
    rmSync(folder, { recursive: true, force: true });
    writeFileSync(join(dir, 'report.json'), '{"runId": "x", "image": {"name": "web"}, "verdict": "maybe"}');
    expect(() => loadRunReport(dir, runs)).toThrow(`${join(dir, 'report.json')}: field verdict: expected "pass", "fail" or "error"`);
    writeFileSync(join(dir, 'report.json'), JSON.stringify(failingRun()));
    expect(loadRunReport(dir, runs).report.runId).toBe('lab-original');
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
  });
});
