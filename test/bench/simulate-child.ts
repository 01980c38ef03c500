/*
 * One measured simulation in a process of its own, so that its peak memory is its own: run by
 * simulate.bench.ts as `node --import tsx simulate-child.ts <waves|engine-state|host-by-host|workers|workers-2> <hosts> <plans>`
 * (waves: simulateRollout, on columns while it can; engine-state: by waves on the engine's own
 * state, the path before the columns; workers: as waves, each plan in a worker thread of its own, as `patchlab simulate` runs them
 * from 750,000 hosts, one after another; workers-2: two threads, each building the fleet once and running
 * plans one after another, two plans at a time, as it now does; their per-plan
 * times are not told apart). Prints one line of JSON: wall and CPU time (of every thread), peak RSS, and
 * each plan's outcome and work.
 */
import { loadavg } from 'node:os';
import { PlanThreads, simulateInWorker } from '../../bin/commands/simulate-workers.ts';
import { comparePolicies } from '../../rollout/simulate/compare.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { standardRings } from '../../rollout/simulate/policies.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';
import { simulateByWaves, simulateHostByHost, simulateRollout } from '../../rollout/simulate/simulation.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The four plans simulate compares a scenario with: rings 1/9/90 and 5/15/80, soaking 1 h and 24 h. */
const PLANS = [
  { name: '1/9/90, soak 1 h', rings: standardRings(1, 9, HOUR) },
  { name: '1/9/90, soak 24 h', rings: standardRings(1, 9, 24 * HOUR) },
  { name: '5/15/80, soak 1 h', rings: standardRings(5, 15, HOUR) },
  { name: '5/15/80, soak 24 h', rings: standardRings(5, 15, 24 * HOUR) },
];

const [stepping = 'waves', hostsArg = '1000', plansArg = '1'] = process.argv.slice(2);
const hosts = Number(hostsArg);
const simulate = stepping === 'host-by-host' ? simulateHostByHost : stepping === 'engine-state' ? simulateByWaves : simulateRollout;
const shape = { hosts, groups: [] };
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const startedAt = performance.now();
// In worker threads each plan builds its own fleet, as `patchlab simulate` does.
const fleet = stepping.startsWith('workers') ? null : simulatedFleet(shape, hosts, 'host');
const settings = resolveSettings({}, { hosts, checkIntervalMs: MINUTE });
const plans = [];
if (stepping === 'workers-2') {
  // Two plans at a time, each in a worker thread of its own, as `patchlab simulate` runs them from 750,000 hosts.
  const variants = PLANS.slice(0, Number(plansArg)).map((plan) => ({ ...plan, policy: STANDARD_POLICY }));
  const threads = new PlanThreads({ shape, size: hosts, prefix: 'host' });
  const summaries = await comparePolicies({ variants, faults: [], checkIntervalMs: MINUTE, settings, seed: 7, runs: 1 }, threads.runner, 2).finally(() => threads.close());
  for (const { name, results } of summaries) {
    const result = results[0]!;
    plans.push({ name, wallMs: 0, cpuMs: 0, outcome: result.outcome, timeTo95Ms: result.timeTo95Ms, engineSteps: result.work.engineSteps, hostEvents: result.work.hostEvents });
  }
}
for (const plan of stepping === 'workers-2' ? [] : PLANS.slice(0, Number(plansArg))) {
  const wallAt = performance.now();
  const cpuAt = cpuMs();
  const run = { name: plan.name, rings: plan.rings, policy: STANDARD_POLICY, checkIntervalMs: MINUTE, faults: [], seed: 7, settings };
  const result = fleet ? simulate({ ...run, fleet }) : await simulateInWorker({ fleet: { shape, size: hosts, prefix: 'host' }, run });
  plans.push({
    name: plan.name,
    wallMs: performance.now() - wallAt,
    cpuMs: cpuMs() - cpuAt,
    outcome: result.outcome,
    timeTo95Ms: result.timeTo95Ms,
    engineSteps: result.work.engineSteps,
    hostEvents: result.work.hostEvents,
  });
}
console.log(
  JSON.stringify({
    stepping,
    hosts,
    wallMs: performance.now() - startedAt,
    cpuMs: cpuMs(),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    loadAverage: loadavg()[0],
    plans,
  }),
);
