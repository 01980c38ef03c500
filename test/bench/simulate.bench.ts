import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';

/*
 * The simulator at a million hosts: the four plans simulate compares (rings 1/9/90 and 5/15/80,
 * soaking 1 h and 24 h), a good patch, 1,000,000 hosts, stepped by waves. Baseline, in the same
 * run: the host-by-host reference (simulateHostByHost, the stepping simulate used before) on one
 * plan at 100,000 hosts, scaled to four plans at ten times the hosts (linearly, which flatters the
 * reference: its decisions cost more the larger the fleet). Each measurement runs in a process of
 * its own (simulate-child.ts), so its peak RSS is its own; the million runs once more with V8's
 * old space capped, to show whether it fits when V8 collects sooner, and once with each plan in a
 * worker thread of its own (how `patchlab simulate` runs them from 750,000 hosts), against the
 * one thread for its peak RSS and CPU. Figures are printed as ratios; nothing here asserts on time.
 */

interface Measured {
  stepping: string;
  hosts: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  loadAverage: number;
  plans: { name: string; wallMs: number; cpuMs: number; outcome: string; engineSteps: number; hostEvents: number }[];
}

function measure(stepping: 'waves' | 'host-by-host' | 'workers', hosts: number, plans: number, heapCapMb?: number): Measured {
  const child = join(import.meta.dirname, 'simulate-child.ts');
  const cap = heapCapMb ? [`--max-old-space-size=${heapCapMb}`] : [];
  const out = execFileSync(process.execPath, [...cap, '--import', 'tsx', child, stepping, String(hosts), String(plans)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measured;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** A heap V8 may not grow past: whether the million fits when V8 collects sooner. */
const HEAP_CAP_MB = 640;
const figures: { baseline?: Measured; sameSize?: Measured; million?: Measured; capped?: Measured; workers?: Measured } = {};

function report(): void {
  const { baseline, sameSize, million, capped, workers } = figures;
  if (!baseline || !sameSize || !million || !capped || !workers) return;
  const scaled = { wallMs: baseline.wallMs * 10 * 4, cpuMs: baseline.cpuMs * 10 * 4 };
  const line = (label: string, m: Measured) =>
    `  ${label}: ${seconds(m.wallMs)} wall, ${seconds(m.cpuMs)} CPU, peak RSS ${Math.round(m.peakRssMb)} MB (load average ${m.loadAverage.toFixed(1)})`;
  console.log(
    [
      `\nsimulate, a good patch through three rings (load average ${loadavg()[0]!.toFixed(1)} at the end):`,
      line('baseline: host by host, 100,000 hosts, 1 plan', baseline),
      line('by waves, 100,000 hosts, 1 plan', sameSize),
      line('by waves, 1,000,000 hosts, 4 plans', million),
      ...million.plans.map((p) => `    ${p.name}: ${p.outcome}, ${seconds(p.wallMs)} wall, ${seconds(p.cpuMs)} CPU, ${p.engineSteps} engine decisions, ${p.hostEvents.toLocaleString('en')} host events`),
      `  by waves / host by host at 100,000 hosts: ${(sameSize.wallMs / baseline.wallMs).toFixed(2)}x the wall time, ${(sameSize.cpuMs / baseline.cpuMs).toFixed(2)}x the CPU`,
      `  1,000,000 hosts x 4 plans by waves / the baseline scaled to it: ${(million.wallMs / scaled.wallMs).toFixed(3)}x the wall time, ${(million.cpuMs / scaled.cpuMs).toFixed(3)}x the CPU`,
      line(`by waves, 1,000,000 hosts, 4 plans, old space capped at ${HEAP_CAP_MB} MB`, capped),
      `  1,000,000 hosts x 4 plans: ${(million.wallMs / 10_000).toFixed(2)}x the 10 s target, peak RSS ${(million.peakRssMb / 1024).toFixed(2)}x the 1 GB target` +
        ` (${(capped.peakRssMb / 1024).toFixed(2)}x with the heap capped, at ${(capped.cpuMs / million.cpuMs).toFixed(2)}x the CPU)`,
      line('each plan in a worker thread of its own, as simulate runs them from 750,000 hosts', workers),
      `  worker threads / one thread: ${(workers.peakRssMb / million.peakRssMb).toFixed(2)}x the peak RSS, ${(workers.cpuMs / million.cpuMs).toFixed(2)}x the CPU` +
        ` (${(workers.peakRssMb / 1024).toFixed(2)}x the 1 GB target)`,
    ].join('\n'),
  );
}

describe('simulate: 1,000,000 hosts, four plans, against the host-by-host reference at 100,000', () => {
  const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
  // Vitest shows no output from hooks in bench mode: the figures follow the last measurement.
  // It may call a bench more than once all the same; a measurement is taken once and kept.
  bench('baseline: host by host, 100,000 hosts, 1 plan (own process)', () => {
    figures.baseline ??= measure('host-by-host', 100_000, 1);
  }, once);
  bench('by waves, 100,000 hosts, 1 plan (own process)', () => {
    figures.sameSize ??= measure('waves', 100_000, 1);
  }, once);
  bench('by waves, 1,000,000 hosts, 4 plans (own process)', () => {
    figures.million ??= measure('waves', 1_000_000, 4);
  }, once);
  bench(`by waves, 1,000,000 hosts, 4 plans, old space capped at ${HEAP_CAP_MB} MB (own process)`, () => {
    figures.capped ??= measure('waves', 1_000_000, 4, HEAP_CAP_MB);
  }, once);
  bench('each plan in a worker thread, 1,000,000 hosts, 4 plans (own process)', () => {
    if (figures.workers) return;
    figures.workers = measure('workers', 1_000_000, 4);
    report();
  }, once);
});
