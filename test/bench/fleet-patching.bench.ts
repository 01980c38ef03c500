import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { loadCheckSuite } from '../../lab/run/check-suite.ts';
import { ContainerFleet } from '../../rollout/fleets/containers/container-fleet.ts';
import { preparePatch } from '../../rollout/fleets/containers/prepare.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';

/*
 * Patching N real container hosts (N = 1, 4, 16) of the `web` image with one small patch
 * (tzdata) from the central package cache, through ContainerFleet.patch as a rollout does:
 * dpkg -i from the read-only cache mount, then the service restarted. All N hosts are patched at
 * once (a ring whose concurrency is N). Only the patching is timed, not starting the fleet.
 * Baseline, in the same run: N = 1. The figure is seconds per host, and its ratio to N = 1.
 *
 * Downloads: the patch is fetched once, by preparePatch, before any fleet exists. For each N the
 * bench also measures what patching the fleet pulled: growth of the cache's archives (the only
 * place a .deb can land) and the bytes every host received on its network interface while being
 * patched (a host downloading from the mirror would show up there). Neither may grow with N.
 */

const SIZES = [
  [1, 3],
  [4, 3],
  [16, 2],
] as const;
const cache = new PackageCache();
const goss = new URL('../../lab/images/definitions/web/web.goss.yaml', import.meta.url).pathname;
const prefix = `bench-fleet-${process.pid}`;
const docker = new Docker();

let image: ResolvedImage;
let prepared: PreparedPatch;
let preparedDownloadBytes = 0;

interface Figures {
  patchMs: number[];
  cacheGrowthBytes: number[];
  hostRxBytes: number[];
}
const figures = new Map<number, Figures>(SIZES.map(([n]) => [n, { patchMs: [], cacheGrowthBytes: [], hostRxBytes: [] }]));

function archivesBytes(): Map<string, number> {
  const dir = join(cache.root, 'archives');
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.deb')).map((f) => [f, statSync(join(dir, f)).size]));
}

function newBytes(before: Map<string, number>, after: Map<string, number>): number {
  let bytes = 0;
  for (const [file, size] of after) if (!before.has(file)) bytes += size;
  return bytes;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/** Bytes every host of a fleet has received on its network interface so far. */
async function rxBytes(rolloutId: string): Promise<number> {
  const found = await docker.listContainers({ filters: { label: [`${RUN_LABEL}=${rolloutId}`] } });
  const counts = await Promise.all(
    found.map(async (c) => {
      const exec = await docker.getContainer(c.Id).exec({ Cmd: ['cat', '/sys/class/net/eth0/statistics/rx_bytes'], AttachStdout: true });
      const stream = await exec.start({ Detach: false, Tty: true });
      let out = '';
      for await (const chunk of stream) out += String(chunk);
      return Number.parseInt(out.trim(), 10) || 0;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function patchFleet(n: number): Promise<void> {
  const f = figures.get(n);
  if (!f) throw new Error(`no figures for ${n}`);
  const rolloutId = `${prefix}-n${n}-${f.patchMs.length}`;
  const fleet = await ContainerFleet.provision({
    rolloutId,
    image,
    prepared,
    cache,
    checks: await loadCheckSuite([goss], { screenshotDir: '/tmp' }),
    faults: new Map(),
    size: n,
    namePrefix: 'web',
  });
  try {
    const archivesBefore = archivesBytes();
    const rxBefore = await rxBytes(rolloutId);
    const started = performance.now();
    const events = await Promise.all(fleet.hosts().map((h) => fleet.patch(h.id)));
    const ms = performance.now() - started;
    const failed = events.filter((e) => e.type !== 'patched');
    if (failed.length > 0) throw new Error(`patch failed on ${failed.length} of ${n} hosts: ${JSON.stringify(failed[0])}`);
    if (fleet.hosts().some((h) => h.version !== prepared.version)) throw new Error('a host does not run the patch');
    f.patchMs.push(ms);
    f.cacheGrowthBytes.push(newBytes(archivesBefore, archivesBytes()));
    f.hostRxBytes.push((await rxBytes(rolloutId)) - rxBefore);
  } finally {
    await fleet.close();
  }
}

function report(n: number): void {
  const f = figures.get(n);
  const one = figures.get(1);
  if (!f || !one) return;
  const perHost = median(f.patchMs) / n / 1000;
  const perHostAtOne = median(one.patchMs) / 1000;
  console.log(
    [
      `\n${n} host(s), tzdata (${prepared.packages.map((p) => `${p.from} -> ${p.to}`).join(', ')}), medians of ${f.patchMs.length} runs:`,
      `  patching all ${n} at once: ${(median(f.patchMs) / 1000).toFixed(2)} s wall, ${perHost.toFixed(2)} s per host ` +
        `(runs: ${f.patchMs.map((m) => (m / 1000).toFixed(2)).join(', ')} s)`,
      `  per host / per host at N=1: ${(perHost / perHostAtOne).toFixed(2)}x`,
      `  downloaded from the mirror: ${preparedDownloadBytes} bytes by preparePatch (once, before any fleet); ` +
        `while patching the fleet: cache grew ${f.cacheGrowthBytes.join(', ')} bytes, ` +
        `hosts received ${f.hostRxBytes.map((b) => `${b} B (${Math.round(b / n)} B/host)`).join(', ')} on eth0`,
    ].join('\n'),
  );
}

beforeAll(async () => {
  image = await resolveImage('web');
  const before = archivesBytes();
  prepared = await preparePatch({
    runId: `${prefix}-prepare`,
    image: { name: 'web', tag: image.tag },
    request: parsePatchArgs(['tzdata']),
    provider: new DockerHostProvider(),
    cache,
    mirror: debianMirror('bookworm'),
    faults: {},
  });
  preparedDownloadBytes = newBytes(before, archivesBytes());
}, 600_000);

afterAll(async () => {
  const left = (await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).filter((c) =>
    c.Labels[RUN_LABEL]?.startsWith(prefix),
  );
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

for (const [n, iterations] of SIZES) {
  describe(`patch ${n} container host(s) from the central cache`, () => {
    bench(
      `${n === 1 ? 'baseline: ' : ''}${n} host(s), fleet start + patch (only the patch is timed in the printed figures)`,
      async () => {
        await patchFleet(n);
        if (figures.get(n)?.patchMs.length === iterations) report(n);
      },
      { iterations, warmupIterations: 0, time: 0, warmupTime: 0 },
    );
  });
}
