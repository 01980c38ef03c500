import { bench, describe } from 'vitest';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { EventQueue } from '../../rollout/simulate/event-queue.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { standardRings } from '../../rollout/simulate/policies.ts';
import { unitAt } from '../../rollout/simulate/random.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';
import { simulateRollout } from '../../rollout/simulate/simulation.ts';

/*
 * The simulator taking a good patch through three rings (1/9/90 % of the fleet, a tenth of each
 * ring at a time, an hour's soak each) at 10k, 100k and 1M hosts. Baseline, in the same run: the
 * bare event queue pushing and popping as many host events (a patch finishing, then its first
 * check result), with no engine, no fleet and no checks. The ratio is what the engine costs;
 * host events per second and memory per host are printed after each size.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;

interface Figures {
  runs: number;
  ms: number;
  hostEvents: number;
  engineSteps: number;
  heapBytes: number;
  outcome: string;
}

function simulator(hosts: number) {
  const fleet = simulatedFleet({ hosts, groups: [] }, hosts, 'host');
  const settings = resolveSettings({}, { hosts, checkIntervalMs: MINUTE });
  const figures: Figures = { runs: 0, ms: 0, hostEvents: 0, engineSteps: 0, heapBytes: 0, outcome: '' };
  const run = () => {
    const heapBefore = process.memoryUsage().heapUsed;
    let heapAlive = heapBefore;
    const started = performance.now();
    const result = simulateRollout({
      name: '1/9/90',
      fleet,
      rings: standardRings(1, 9, HOUR),
      policy: STANDARD_POLICY,
      checkIntervalMs: MINUTE,
      faults: [],
      seed: 7,
      settings,
      whileAlive: () => {
        heapAlive = process.memoryUsage().heapUsed;
      },
    });
    figures.ms += performance.now() - started;
    figures.runs++;
    figures.hostEvents = result.work.hostEvents;
    figures.engineSteps = result.work.engineSteps;
    figures.heapBytes = Math.max(figures.heapBytes, heapAlive - heapBefore);
    figures.outcome = result.outcome;
  };
  return { run, figures };
}

/** The same number of host events through the queue alone: each host's patch ends, then its check reports. */
function bareQueue(hosts: number) {
  const figures = { runs: 0, ms: 0, events: 0 };
  const run = () => {
    const started = performance.now();
    const queue = new EventQueue();
    for (let i = 0; i < hosts; i++) queue.push(Math.floor(unitAt(7, i) * 4 * HOUR), 1, i);
    let events = 0;
    while (queue.pop()) {
      events++;
      if (queue.kind === 1) queue.push(queue.time + MINUTE, 2, queue.subject);
    }
    figures.ms += performance.now() - started;
    figures.runs++;
    figures.events = events;
  };
  return { run, figures };
}

function report(hosts: number, sim: Figures, baseline: { runs: number; ms: number; events: number }): void {
  const simMs = sim.ms / Math.max(sim.runs, 1);
  const baseMs = baseline.ms / Math.max(baseline.runs, 1);
  const rate = (events: number, ms: number) => Math.round(events / (ms / 1000)).toLocaleString('en');
  console.log(
    [
      `\n${hosts.toLocaleString('en')} hosts through three rings (${sim.outcome}):`,
      `  simulator: ${(simMs / 1000).toFixed(2)} s per run, ${rate(sim.hostEvents, simMs)} host events/s ` +
        `(${sim.hostEvents.toLocaleString('en')} events, ${sim.engineSteps} engine decisions, ${(simMs / Math.max(sim.engineSteps, 1)).toFixed(1)} ms each)`,
      `  baseline (bare event queue): ${baseMs.toFixed(1)} ms per run, ${rate(baseline.events, baseMs)} events/s`,
      `  simulator / baseline: ${(simMs / baseMs).toFixed(0)}x the time of the bare queue`,
      `  memory: ${Math.round(sim.heapBytes / hosts).toLocaleString('en')} bytes per host (heap held at the end of a run, garbage included)`,
    ].join('\n'),
  );
}

for (const [hosts, iterations] of [
  [10_000, 5],
  [100_000, 2],
  [1_000_000, 1],
] as const) {
  describe(`${hosts.toLocaleString('en')} hosts through three rings`, () => {
    const sim = simulator(hosts);
    const baseline = bareQueue(hosts);
    // Vitest shows no output from hooks in bench mode: the figures follow the last timed run.
    const simulateAndReport = () => {
      sim.run();
      if (sim.figures.runs === iterations) report(hosts, sim.figures, baseline.figures);
    };

    bench('baseline: bare event queue, as many host events, no engine', baseline.run, { iterations: iterations * 3, warmupIterations: 1, time: 0, warmupTime: 0 });
    bench('simulator: real engine, simulated fleet and checks', simulateAndReport, { iterations, warmupIterations: 0, time: 0, warmupTime: 0 });
  });
}
