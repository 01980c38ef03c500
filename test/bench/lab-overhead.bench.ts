import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { OWNER_LABEL, ownerToken, ROLE_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { RefreshLists } from '../../lab/patches/list-freshness.ts';
import type { LabReport } from '../../lab/run/report.ts';
import { runLabOnImage } from '../../lab/run/run-image.ts';

/*
 * A whole lab run of the `web` image with one small patch (tzdata) and the image's own checks
 * (web.goss.yaml and the browser check web.browser.ts), through the library as `patchlab lab run`
 * does it, against a same-steps baseline: lab-same-steps.sh beside this file, the docker CLI
 * commands a person would type to do every step of the run one after another (two twins, nginx,
 * the checks on the unpatched twin, the same offline apt transaction of the cached .deb, nginx
 * restarted, the checks, the apt rollback, the checks again). Read it to judge the comparison.
 *
 * Measured in alternating pairs (script then lab, lab then script, ...), so that a change in the
 * machine's load hits both sides of a pair alike; the ratio is the median of the pairs' ratios.
 * Each round also makes a `lab run --refresh` (package lists refreshed from the mirror, as every
 * scheduled run does), reported against the same round's script.
 *
 * `lab run` reuses package lists of the same sources refreshed within the last 10 minutes (the
 * warm-up run below refreshes them, as a user's first run of the day would).
 */

const ROUNDS = Number(process.env.LAB_BENCH_ROUNDS ?? 4);
const run = promisify(execFile);
const benchRun = `bench-lab-overhead-${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-bench-lab-'));
// A cache of the bench's own: another process's refresh of shared lists would make this run's plan memo miss half-way.
const cache = new PackageCache(join(scratch, 'cache'));
const script = new URL('./lab-same-steps.sh', import.meta.url).pathname;
let tag = '';
let debs = { NEW_DEB: '', OLD_DEB: '' };

interface Round {
  scriptMs: number;
  scriptSteps: Map<string, number>;
  lab: Record<RefreshLists, { ms: number; report: LabReport }>;
}

/** The script's wall time, and the time to each step it marks (its STEPS file: epoch ms and a name a line). */
async function runScript(round: number): Promise<{ ms: number; steps: Map<string, number> }> {
  const steps = join(scratch, `steps-${round}`);
  const shots = mkdtempSync(join(scratch, 'shots-'));
  const env = { ...process.env, RUN_LABEL, ROLE_LABEL, OWNER_LABEL, BENCH_RUN: benchRun, OWNER: ownerToken(), CACHE_ROOT: cache.root, TAG: tag, SHOTS: shots, STEPS: steps, ...debs };
  const started = Date.now();
  await run('bash', [script], { env, maxBuffer: 16 * 1024 * 1024 });
  const ms = Date.now() - started;
  // A step's name has spaces: split at the first one only.
  const marks = readFileSync(steps, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const);
  const durations = new Map<string, number>();
  marks.forEach(([at, name], i) => durations.set(name, Number(marks[i + 1]?.[0] ?? started + ms) - Number(at)));
  return { ms, steps: durations };
}

async function runLab(refreshLists: RefreshLists, reportDir: string): Promise<{ ms: number; report: LabReport }> {
  const started = Date.now();
  const report = await runLabOnImage({ image: 'web', patch: ['tzdata'], cache, refreshLists, reportDir });
  const ms = Date.now() - started;
  if (report.verdict !== 'pass') throw new Error(`lab run did not pass: ${report.verdict}: ${report.reasons.join('; ')}`);
  return { ms, report };
}

async function measure(): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate who goes first: a lab run's leftover I/O (a container still being removed) must not always land on the script.
    const scriptFirst = i % 2 === 0;
    const s = scriptFirst ? await runScript(i) : undefined;
    const ifStale = await runLab('if-stale', join(scratch, `run-${i}`));
    const after = s ?? (await runScript(i));
    const always = await runLab('always', join(scratch, `refresh-${i}`));
    rounds.push({ scriptMs: after.ms, scriptSteps: after.steps, lab: { 'if-stale': ifStale, always } });
  }
  return rounds;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);

function print(rounds: Round[], loads: string[]): void {
  const lines = [
    `\nlab run of web with tzdata (goss + browser checks) against lab-same-steps.sh, ${rounds.length} alternating rounds; load average ${loads.join(' -> ')}:`,
    `  script (docker CLI, same steps): median ${seconds(median(rounds.map((r) => r.scriptMs)))} s   runs: ${rounds.map((r) => seconds(r.scriptMs)).join(', ')}`,
  ];
  for (const mode of ['if-stale', 'always'] as const) {
    const ratios = rounds.map((r) => r.lab[mode].ms / r.scriptMs);
    const ratio = median(ratios);
    lines.push(
      `  patchlab (runLabOnImage, refreshLists ${mode}): median ${seconds(median(rounds.map((r) => r.lab[mode].ms)))} s   runs: ${rounds.map((r) => seconds(r.lab[mode].ms)).join(', ')}`,
      `    lab / script per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${ratio.toFixed(2)}x (target 0.8x: ${ratio <= 0.8 ? 'met' : 'NOT met'})`,
      `    lists: ${rounds.map((r) => (r.lab[mode].report.lists?.refreshed ? 'refreshed' : `reused (${Math.round((r.lab[mode].report.lists?.ageMs ?? 0) / 1000)} s old)`)).join(', ')}`,
      '    lab phases (median ms; some overlap):',
      ...phaseMedians(rounds.map((r) => new Map(Object.entries(r.lab[mode].report.timings)))).map(([k, v]) => `      ${k}: ${v}`),
    );
  }
  lines.push('  script steps (median ms, one after another):', ...phaseMedians(rounds.map((r) => r.scriptSteps)).map(([k, v]) => `      ${k}: ${v}`));
  lines.push(`  patch: ${debs.OLD_DEB} -> ${debs.NEW_DEB}`);
  console.log(lines.join('\n'));
}

function phaseMedians(runs: Map<string, number>[]): [string, number][] {
  const phases = new Map<string, number[]>();
  for (const r of runs) for (const [k, v] of r) phases.set(k, [...(phases.get(k) ?? []), v]);
  return [...phases].map(([k, v]) => [k, Math.round(median(v))]);
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

beforeAll(async () => {
  tag = (await resolveImage('web')).tag;
  // One lab run first: it fills the cache (the script needs both .debs there) and says which versions the patch moves between.
  const { report } = await runLab('always', join(scratch, 'warm-up'));
  const tz = report.patch.packages.find((p) => p.name === 'tzdata');
  const next = tz && cache.cachedDeb('tzdata', tz.to);
  const previous = tz?.from && cache.cachedDeb('tzdata', tz.from);
  if (!next || !previous) throw new Error(`tzdata's two .debs are not cached after a lab run: ${JSON.stringify(report.patch)}`);
  debs = { NEW_DEB: basename(next), OLD_DEB: basename(previous) };
}, 600_000);

afterAll(async () => {
  const docker = new Docker();
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${benchRun}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  rmSync(scratch, { recursive: true, force: true });
});

describe('lab run of web with one small patch (tzdata), goss and browser checks', () => {
  let measured = false;
  bench(
    `alternating rounds: lab-same-steps.sh, lab run, lab run --refresh`,
    async () => {
      // Vitest may call a bench more than once; the rounds are measured once, inside.
      if (measured) return;
      measured = true;
      const loads = [loadAverage()];
      const rounds = await measure();
      loads.push(loadAverage());
      print(rounds, loads);
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
