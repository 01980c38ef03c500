import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';

/*
 * The simulator at a million hosts: the four plans simulate compares (rings 1/9/90 and 5/15/80,
 * soaking 1 h and 24 h), a good patch, 1,000,000 hosts. Measured in the same run: the fast path
 * (simulateRollout, the hosts in columns) against the run on the engine's own state it falls back
 * to (simulateByWaves, what simulate ran before), both in one thread, at 100,000 hosts x 1 plan
 * and 1,000,000 hosts x 4 plans; the host-by-host reference at 100,000 hosts; and the four plans
 * in worker threads two at a time, as `patchlab simulate` runs them from 750,000 hosts. Each
 * measurement runs in a process of its own (simulate-child.ts), so its peak RSS is its own. CPU
 * counts every thread (process.cpuUsage); read it rather than wall time when the machine is
 * busy. Figures are printed as ratios; nothing here asserts on time.
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

function measure(stepping: 'waves' | 'engine-state' | 'host-by-host' | 'workers-2', hosts: number, plans: number): Measured {
  const child = join(import.meta.dirname, 'simulate-child.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, stepping, String(hosts), String(plans)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measured;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const figures: { hostByHost?: Measured; engineSmall?: Measured; columnsSmall?: Measured; engineMillion?: Measured; columnsMillion?: Measured; pairs?: Measured } = {};

function report(): void {
  const { hostByHost, engineSmall, columnsSmall, engineMillion, columnsMillion, pairs } = figures;
  if (!hostByHost || !engineSmall || !columnsSmall || !engineMillion || !columnsMillion || !pairs) return;
  const line = (label: string, m: Measured) =>
    `  ${label}: ${seconds(m.wallMs)} wall, ${seconds(m.cpuMs)} CPU, peak RSS ${Math.round(m.peakRssMb)} MB (load average ${m.loadAverage.toFixed(1)})`;
  const perPlan = (m: Measured) => m.plans.map((p) => `    ${p.name}: ${p.outcome}, ${p.wallMs > 0 ? `${seconds(p.cpuMs)} CPU, ` : ''}${p.engineSteps} engine decisions, ${p.hostEvents.toLocaleString('en')} host events`);
  console.log(
    [
      `\nsimulate, a good patch through three rings (load average ${loadavg()[0]!.toFixed(1)} at the end):`,
      line('host by host, 100,000 hosts, 1 plan', hostByHost),
      line('engine state by waves, 100,000 hosts, 1 plan', engineSmall),
      line('columns, 100,000 hosts, 1 plan', columnsSmall),
      `  columns / engine state at 100,000 hosts: ${ratio(columnsSmall.cpuMs, engineSmall.cpuMs)} the CPU, ${ratio(columnsSmall.peakRssMb, engineSmall.peakRssMb)} the peak RSS` +
        ` (host by host: ${ratio(columnsSmall.cpuMs, hostByHost.cpuMs)} its CPU)`,
      line('engine state by waves, 1,000,000 hosts, 4 plans, one thread', engineMillion),
      ...perPlan(engineMillion),
      line('columns, 1,000,000 hosts, 4 plans, one thread', columnsMillion),
      ...perPlan(columnsMillion),
      `  columns / engine state at 1,000,000 hosts x 4 plans: ${ratio(columnsMillion.cpuMs, engineMillion.cpuMs)} the CPU, ${ratio(columnsMillion.peakRssMb, engineMillion.peakRssMb)} the peak RSS`,
      line('columns, 1,000,000 hosts, 4 plans, two worker threads at a time', pairs),
      ...perPlan(pairs),
      `  two threads / one thread (columns): ${ratio(pairs.wallMs, columnsMillion.wallMs)} the wall time, ${ratio(pairs.cpuMs, columnsMillion.cpuMs)} the CPU, ${ratio(pairs.peakRssMb, columnsMillion.peakRssMb)} the peak RSS`,
      `  targets: ${ratio(pairs.wallMs, 10_000)} the 10 s in wall time, ${ratio(pairs.cpuMs / 2, 10_000)} in CPU over two cores; peak RSS ${ratio(pairs.peakRssMb, 1024)} of 1 GB`,
    ].join('\n'),
  );
}

describe('simulate: 1,000,000 hosts, four plans, columns against the engine state', () => {
  const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
  // Vitest shows no output from hooks in bench mode: the figures follow the last measurement.
  // It may call a bench more than once all the same; a measurement is taken once and kept.
  bench('host by host, 100,000 hosts, 1 plan (own process)', () => {
    figures.hostByHost ??= measure('host-by-host', 100_000, 1);
  }, once);
  bench('engine state by waves, 100,000 hosts, 1 plan (own process)', () => {
    figures.engineSmall ??= measure('engine-state', 100_000, 1);
  }, once);
  bench('columns, 100,000 hosts, 1 plan (own process)', () => {
    figures.columnsSmall ??= measure('waves', 100_000, 1);
  }, once);
  bench('engine state by waves, 1,000,000 hosts, 4 plans (own process)', () => {
    figures.engineMillion ??= measure('engine-state', 1_000_000, 4);
  }, once);
  bench('columns, 1,000,000 hosts, 4 plans (own process)', () => {
    figures.columnsMillion ??= measure('waves', 1_000_000, 4);
  }, once);
  bench('columns, 1,000,000 hosts, 4 plans, two worker threads at a time (own process)', () => {
    if (figures.pairs) return;
    figures.pairs = measure('workers-2', 1_000_000, 4);
    report();
  }, once);
});
