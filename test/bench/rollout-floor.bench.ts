import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { debianMirror } from '../../lab/config/mirror.ts';
import { projectRoot } from '../../lab/config/paths.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { restartService, startService } from '../../lab/hosts/services.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';
import { applyPatch } from '../../lab/patches/apply.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { runRollout } from '../../rollout/drive/run-rollout.ts';
import { soakFor } from '../../rollout/engine/policy.ts';
import { preparePatch } from '../../rollout/fleets/containers/prepare.ts';
import type { PreparedPatch } from '../../rollout/fleets/containers/prepared-patch.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { containerCpuMs } from './cpu-time.ts';
import { median } from './median.ts';
import { describeRing, ringTimes, soakLateness, type RingTimes } from './rollout-timeline.ts';

/*
 * The demo rollout (scenarios/demo.yaml, its own patch: the day's security updates) against its
 * floor, measured in the same run: the scenario's soaks plus its waves times the apt time of the
 * same patch on one idle host of the same image (apt-get install of the cached files, as a
 * fleet host runs it). A rollout can be no faster: each wave waits for its apt, each ring for
 * its soak. The rollout's wall time runs from `rollout start` (patch prepared, 16 hosts started)
 * to its end; the figure is its ratio to the floor, and where the time went in each ring.
 * Floor and rollout alternate, so both see the same load.
 */

const PAIRS = Number(process.env.FLOOR_PAIRS ?? 2);
const plan = loadScenario(join(projectRoot, 'scenarios', 'demo.yaml'));
const cache = new PackageCache();
const prefix = `bench-floor-${process.pid}`;
const docker = new Docker();
const provider = new DockerHostProvider(docker);

let image: ResolvedImage;
let prepared: PreparedPatch;
const apt: { aptMs: number; aptCpuMs: number | undefined; restartMs: number }[] = [];
const rollouts: { wallMs: number; drivenMs: number; teardownMs: number; rings: RingTimes[]; concurrency: number[]; lateness: string[] }[] = [];

const sec = (ms: number) => (ms / 1000).toFixed(1);

/** The patch's apt transaction on one fresh, otherwise idle host, then the service restart a fleet host does after it. */
async function aptOnOneHost(): Promise<void> {
  const host = await provider.start({ image: image.tag, runId: `${prefix}-apt-${apt.length}`, role: 'fleet', mounts: [cache.hostMount()] });
  try {
    const started = await startService(host, image.definition);
    if (!started.ok) throw new Error(`the service does not start: ${started.output}`);
    const cpuBefore = containerCpuMs(host.id);
    const outcome = await applyPatch(host, prepared.installFiles, prepared.removals);
    if (!outcome.ok) throw new Error(`apt failed on one host: ${outcome.output.slice(-500)}`);
    const cpuAfter = containerCpuMs(host.id);
    const restart = Date.now();
    await restartService(host, image.definition);
    apt.push({ aptMs: outcome.durationMs, aptCpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, restartMs: Date.now() - restart });
  } finally {
    await host.stop();
  }
}

/**
 * What the machine's cores allow: a wave of N concurrent installs, each needing `cpuMs` of CPU,
 * takes at least N x cpuMs / cores, and never less than one install alone.
 */
function coreBound(rings: RingTimes[], concurrency: number[], aptMs: number, cpuMs: number): number {
  return rings.reduce((sum, r, i) => sum + r.waves * Math.max(aptMs, ((concurrency[i] ?? 1) * cpuMs) / availableParallelism()), 0);
}

async function demoRollout(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'patchlab-bench-floor-'));
  const store = openStore(join(home, 'patchlab.db'));
  try {
    const started = Date.now();
    let drivenFrom = started;
    const final = await runRollout(plan, { store, cache, onStart: () => (drivenFrom = Date.now()) });
    const ended = Date.now();
    if (final.phase !== 'completed') throw new Error(`the demo rollout ended ${final.phase}, not completed`);
    const observations = await store.observations(final.id);
    // The last stored step is the engine's completion; runRollout then removes the 16 containers.
    const completed = (await store.transitions(final.id)).at(-1)?.at ?? ended;
    rollouts.push({
      wallMs: ended - started,
      drivenMs: ended - drivenFrom,
      teardownMs: ended - completed,
      rings: ringTimes(final, plan.policy, completed, drivenFrom),
      concurrency: final.rings.map((r) => r.concurrency),
      lateness: final.rings.map((_, i) => soakLateness(final, i, observations, completed)),
    });
  } finally {
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function report(): void {
  const aptMs = median(apt.map((a) => a.aptMs));
  const restartMs = median(apt.map((a) => a.restartMs));
  const soaks = plan.rings.reduce((sum, r) => sum + soakFor(r, plan.policy), 0);
  const rings = rollouts[0]?.rings ?? [];
  const waves = rings.reduce((sum, r) => sum + r.waves, 0);
  const floor = soaks + waves * aptMs;
  const wall = median(rollouts.map((r) => r.wallMs));
  const cpus = apt.flatMap((a) => (a.aptCpuMs === undefined ? [] : [a.aptCpuMs]));
  const aptCpuMs = cpus.length > 0 ? median(cpus) : undefined;
  const concurrency = rollouts[0]?.concurrency ?? [];
  const bound = aptCpuMs === undefined ? undefined : soaks + coreBound(rings, concurrency, aptMs, aptCpuMs);
  const driven = median(rollouts.map((r) => r.drivenMs));
  console.log(
    [
      `\ndemo rollout (${plan.fleet.hosts} hosts, ${prepared.name}), ${rollouts.length} of ${PAIRS} pairs, medians, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:`,
      `  apt on one idle host: ${sec(aptMs)} s (runs ${apt.map((a) => sec(a.aptMs)).join(', ')} s), ${aptCpuMs === undefined ? 'its CPU time unknown' : `${sec(aptCpuMs)} s of CPU`}, then the service restart ${sec(restartMs)} s`,
      `  floor: soaks ${sec(soaks)} s + ${waves} waves x ${sec(aptMs)} s = ${sec(floor)} s`,
      `  rollout start to end: ${sec(wall)} s (runs ${rollouts.map((r) => sec(r.wallMs)).join(', ')} s), of which driving ${sec(driven)} s`,
      `  rollout / floor: ${(wall / floor).toFixed(2)}x (driving alone: ${(driven / floor).toFixed(2)}x)`,
      bound === undefined
        ? '  core-bound floor: unknown (no cgroup v1 CPU figures)'
        : `  core-bound floor (a wave of N installs needs N x ${sec(aptCpuMs ?? 0)} s of CPU on ${availableParallelism()} cores): ${sec(bound)} s = ` +
          `${(bound / floor).toFixed(2)}x the floor; rollout / core-bound floor: ${(wall / bound).toFixed(2)}x`,
      ...rollouts.flatMap((r, i) => [`  run ${i + 1}: prepare + start the fleet ${sec(r.wallMs - r.drivenMs)} s; after completion, removing the fleet ${sec(r.teardownMs)} s`, ...r.rings.flatMap((t, i) => [describeRing(t, aptMs), r.lateness[i] ?? ''].filter(Boolean))]),
    ].join('\n'),
  );
}

beforeAll(async () => {
  image = await resolveImage(plan.image);
  prepared = await preparePatch({
    runId: `${prefix}-prepare`,
    image: { name: plan.image, tag: image.tag },
    request: plan.patch,
    provider,
    cache,
    mirror: debianMirror(image.definition?.suite ?? 'bookworm'),
    faults: {},
  });
}, 600_000);

afterAll(async () => {
  const left = (await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })).filter((c) => c.Labels[RUN_LABEL]?.startsWith(prefix));
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
});

describe('the demo rollout against its floor (soaks + waves x apt on one host)', () => {
  bench(
    'one pair: apt on one idle host (baseline), then the demo rollout',
    async () => {
      await aptOnOneHost();
      await demoRollout();
      // After every pair: a run stopped half-way still says what it measured.
      report();
    },
    { iterations: PAIRS, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
