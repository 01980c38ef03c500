import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fault } from '../property/simulate-arbitraries.ts';
import { DEFAULT_PLAN_WORKER_HOSTS, planWorkerHosts, simulateInWorker } from '../../bin/commands/simulate-workers.ts';
import { PlanError } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { inThisThread, type PlanRun } from '../../rollout/simulate/compare.ts';
import { simulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import { standardRings } from '../../rollout/simulate/policies.ts';
import { resolveSettings } from '../../rollout/simulate/settings.ts';

/*
 * From 750,000 hosts `simulate` runs each plan in a worker thread of its own, which builds the
 * fleet again from its recipe. What comes back must be what the plan gives in this thread on the
 * fleet built here: the same outcome, timeline, exposure window, figures and work.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('plans in worker threads', () => {
  it('give the result the same plan gives in this thread, faults and labels included', async () => {
    const hosts = 300;
    const shape = { hosts, groups: [{ count: 120, labels: { site: 'paris' } }] };
    const here = inThisThread(simulatedFleet(shape, hosts, 'web'));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          canary: fc.integer({ min: 1, max: 10 }),
          pilot: fc.integer({ min: 5, max: 30 }),
          soakHours: fc.integer({ min: 0, max: 24 }),
          faults: fc.array(fault, { maxLength: 3 }),
          seed: fc.nat(),
        }),
        async ({ canary, pilot, soakHours, faults, seed }) => {
          const run: PlanRun = {
            name: `${canary}/${pilot}`,
            rings: standardRings(canary, pilot, soakHours * HOUR),
            policy: STANDARD_POLICY,
            checkIntervalMs: MINUTE,
            faults,
            seed,
            settings: resolveSettings({}, { hosts, checkIntervalMs: MINUTE }),
          };
          const elsewhere = await simulateInWorker({ fleet: { shape, size: hosts, prefix: 'web' }, run });
          expect(elsewhere).toEqual(here(run));
        },
      ),
      // Each run starts a thread that loads the simulator afresh: a few runs, many fault models each.
      { seed: 18, numRuns: 4 },
    );
  });

  it('hand back a plan the engine refuses as the same PlanError', async () => {
    const run: PlanRun = {
      name: 'canaries only',
      rings: [{ ...standardRings(1, 9, HOUR)[0]!, hosts: { count: 3 } }],
      policy: STANDARD_POLICY,
      checkIntervalMs: MINUTE,
      faults: [],
      seed: 1,
      settings: resolveSettings({}, { hosts: 10, checkIntervalMs: MINUTE }),
    };
    const refused = simulateInWorker({ fleet: { shape: { hosts: 10, groups: [] }, size: 10, prefix: 'web' }, run });
    await expect(refused).rejects.toBeInstanceOf(PlanError);
    await expect(refused).rejects.toThrow(/7 hosts are in no ring/);
  });

  it('start at the size PATCHLAB_SIMULATE_WORKER_HOSTS names, and refuse anything but a whole number', () => {
    expect(planWorkerHosts({})).toBe(DEFAULT_PLAN_WORKER_HOSTS);
    expect(planWorkerHosts({ PATCHLAB_SIMULATE_WORKER_HOSTS: '5000' })).toBe(5000);
    expect(() => planWorkerHosts({ PATCHLAB_SIMULATE_WORKER_HOSTS: '1e5' })).toThrow(/PATCHLAB_SIMULATE_WORKER_HOSTS: expected a whole number of hosts from 1 up, got "1e5"/);
    expect(() => planWorkerHosts({ PATCHLAB_SIMULATE_WORKER_HOSTS: '0' })).toThrow(/got "0"/);
  });
});
