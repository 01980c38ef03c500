import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { OWNER_LABEL, ownerToken, ROLE_LABEL, RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import type { RefreshLists } from '../../lab/patches/list-freshness.ts';
import type { LabReport } from '../../lab/run/report.ts';
import { runLabOnImage } from '../../lab/run/run-image.ts';

/*
 * A whole lab run of the `web` image with one small patch (tzdata), goss checks only (no browser),
 * through the library as `patchlab lab run` does it. Baseline, in the same run: the shell script
 * one would write instead, with the docker CLI: start one container of the same image with the
 * package cache mounted read-only, `dpkg -i` the cached tzdata .deb, start nginx, curl the page
 * and /healthz from the host, remove the container.
 *
 * The lab does more work than the script: a fetcher host refreshes the package lists from the
 * mirror and resolves the patch, two twins (baseline and patched) start, both are checked with
 * the goss file, and the patch is rolled back, verified and checked again. The ratio is what all
 * of that costs over the bare script; the lab's own phase timings are printed beside it.
 *
 * `lab run` reuses package lists of the same sources refreshed within the last 10 minutes (the
 * warm-up run below refreshes them, as a user's first run of the day would); `lab run --refresh`
 * (and every scheduled run) refreshes them always. Both are measured against the same script.
 */

const ITERATIONS = 3;
const cache = new PackageCache();
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const benchRun = `bench-lab-overhead-${process.pid}`;
const reports = mkdtempSync(join(tmpdir(), 'patchlab-bench-lab-'));
let tag = '';
let deb = '';

const baselineMs: number[] = [];
const labMs: Record<RefreshLists, number[]> = { 'if-stale': [], always: [] };
const labReports: Record<RefreshLists, LabReport[]> = { 'if-stale': [], always: [] };

/** The script, word for word what a person would run; every container it makes is labelled as ours. */
const SCRIPT = `
set -euo pipefail
id=$(docker run -d --label "$RUN_LABEL=$BENCH_RUN" --label "$ROLE_LABEL=script" --label "$OWNER_LABEL=$OWNER" \\
  -v "$CACHE_ROOT:/var/cache/patchlab:ro" --entrypoint sleep "$TAG" infinity)
trap 'docker rm -f -v "$id" >/dev/null' EXIT
docker exec -e DEBIAN_FRONTEND=noninteractive "$id" dpkg -i "/var/cache/patchlab/archives/$DEB" >/dev/null
docker exec "$id" nginx
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")
for i in $(seq 100); do curl -fsS -o /dev/null "http://$ip/" && break; sleep 0.1; done
curl -fsS "http://$ip/" | grep -q 'IT service desk'
curl -fsS "http://$ip/healthz" | grep -q ok
`;

function script(): void {
  const started = performance.now();
  execFileSync('bash', ['-c', SCRIPT], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      RUN_LABEL,
      ROLE_LABEL,
      OWNER_LABEL,
      BENCH_RUN: benchRun,
      OWNER: ownerToken(),
      CACHE_ROOT: cache.root,
      TAG: tag,
      DEB: deb,
    },
  });
  baselineMs.push(performance.now() - started);
}

async function lab(refreshLists: RefreshLists): Promise<LabReport> {
  const started = performance.now();
  const report = await runLabOnImage({ image: 'web', patch: ['tzdata'], checks: [goss], cache, refreshLists, reportDir: join(reports, `run-${refreshLists}-${labMs[refreshLists].length}`) });
  const ms = performance.now() - started;
  if (report.verdict !== 'pass') throw new Error(`lab run did not pass: ${report.verdict}: ${report.reasons.join('; ')}`);
  labMs[refreshLists].push(ms);
  labReports[refreshLists].push(report);
  return report;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

function report(): void {
  // Vitest may call a synchronous bench a few extra times before it samples: keep the last ITERATIONS calls, which are its samples.
  const base = median(baselineMs.slice(-ITERATIONS));
  const lines = [
    `\nlab run of web with tzdata (goss only), medians of ${ITERATIONS} runs each:`,
    `  baseline (shell script, docker CLI): ${(base / 1000).toFixed(2)} s   runs: ${baselineMs.slice(-ITERATIONS).map((m) => (m / 1000).toFixed(2)).join(', ')}`,
  ];
  for (const mode of ['if-stale', 'always'] as const) {
    // The same for the lab runs: only vitest's samples, the last ITERATIONS calls.
    const sampled = labMs[mode].slice(-ITERATIONS);
    const run = median(sampled);
    const phases = new Map<string, number[]>();
    for (const r of labReports[mode].slice(-ITERATIONS)) for (const [k, v] of Object.entries(r.timings)) phases.set(k, [...(phases.get(k) ?? []), v]);
    lines.push(
      `  patchlab (runLabOnImage, refreshLists ${mode}): ${(run / 1000).toFixed(2)} s   runs: ${sampled.map((m) => (m / 1000).toFixed(2)).join(', ')}${labMs[mode].length > ITERATIONS ? ` (and ${labMs[mode].length - ITERATIONS} unsampled first)` : ''}`,
      `    lists: ${labReports[mode].slice(-ITERATIONS).map((r) => (r.lists?.refreshed ? 'refreshed' : `reused (${Math.round((r.lists?.ageMs ?? 0) / 1000)} s old)`)).join(', ')}`,
      `    patchlab / script: ${(run / base).toFixed(2)}x (target 1.3x: ${run / base <= 1.3 ? 'met' : 'NOT met'})`,
      `    downloaded ${labReports[mode].slice(-ITERATIONS).map((r) => r.patch.downloadedBytes).join(', ')} bytes`,
      '    lab phases (median ms; some overlap):',
      ...[...phases].map(([k, v]) => `      ${k}: ${Math.round(median(v))}`),
    );
  }
  lines.push(`  patch: ${labReports['if-stale'][0]?.patch.packages.map((p) => `${p.name} ${p.from} -> ${p.to}`).join(', ')}; deb ${deb}`);
  console.log(lines.join('\n'));
}

beforeAll(async () => {
  tag = (await resolveImage('web')).tag;
  // One lab run first: it fills the cache (the script needs the .deb there) and says which version the patch is.
  const first = await lab('if-stale');
  labMs['if-stale'].length = 0;
  labReports['if-stale'].length = 0;
  const tz = first.patch.packages.find((p) => p.name === 'tzdata');
  const file = tz && cache.cachedDeb('tzdata', tz.to);
  if (!file) throw new Error(`no cached tzdata .deb after a lab run: ${JSON.stringify(first.patch)}`);
  deb = basename(file);
}, 600_000);

afterAll(async () => {
  const docker = new Docker();
  const left = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${benchRun}`] } });
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  rmSync(reports, { recursive: true, force: true });
});

describe('lab run of web with one small patch (tzdata)', () => {
  const opts = { iterations: ITERATIONS, warmupIterations: 0, time: 0, warmupTime: 0 };
  bench('baseline: shell script (docker run, dpkg -i, nginx, curl, docker rm)', script, opts);
  bench('patchlab: runLabOnImage, lists reused within 10 min (lab run)', () => lab('if-stale').then(() => undefined), opts);
  bench(
    'patchlab: runLabOnImage, lists refreshed (lab run --refresh, scheduled runs)',
    async () => {
      await lab('always');
      if (labMs.always.length === ITERATIONS) report();
    },
    opts,
  );
});
