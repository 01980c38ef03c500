import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { simulateHostByHost, simulateRollout, type SimulationInput } from '../../rollout/simulate/simulation.ts';
import { fleetFor, MINUTE, ring, settingsFor } from '../unit/simulate-harness.ts';

/*
 * A latency gate that cannot judge soaks on for samples, up to three soaks. On the last ring no
 * host is left on its old version to give baseline samples; on an earlier ring the samples may
 * still be too few when the wait ends. Either way a good patch on a quiet fleet must complete,
 * by waves and host by host alike, never stall.
 */

const plan = fc
  .record({
    sizes: fc.array(fc.integer({ min: 2, max: 30 }), { minLength: 0, maxLength: 2 }),
    concurrency: fc.array(fc.integer({ min: 5, max: 100 }), { minLength: 3, maxLength: 3 }),
    soakMinutes: fc.array(fc.integer({ min: 1, max: 180 }), { minLength: 3, maxLength: 3 }),
    latency: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
  })
  .map(({ sizes, concurrency, soakMinutes, latency }): RingSpec[] => {
    const options = (i: number, gate: boolean) => ({ concurrency: { percent: concurrency[i]! }, soakMs: soakMinutes[i]! * MINUTE, healthGate: { latency: gate } });
    return [...sizes.map((percent, i) => ring(`ring${i}`, { percent }, options(i, latency[i]!))), ring('broad', 'rest', options(2, true))];
  });

const world = fc.record({
  hosts: fc.integer({ min: 10, max: 150 }),
  rings: plan,
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  checkMinutes: fc.constantFrom(1, 10, 60),
});

describe('a latency gate on the last ring', () => {
  it('lets a good patch complete by waves and host by host, the same way', () => {
    fc.assert(
      fc.property(world, (w) => {
        const checkIntervalMs = w.checkMinutes * MINUTE;
        const input: SimulationInput = {
          name: 'gate', fleet: fleetFor(w.hosts), rings: w.rings, policy: STANDARD_POLICY, checkIntervalMs, faults: [], seed: w.seed,
          settings: settingsFor({ hosts: w.hosts, checkIntervalMs }),
        };
        let reference;
        try {
          reference = simulateHostByHost(input);
        } catch (error) {
          // A plan some fleets cannot fill: not a case.
          fc.pre((error as Error).name !== 'PlanError');
          throw error;
        }
        assert.equal(reference.outcome, 'completed', reference.stopReason ?? '');
        assert.equal(reference.finalPatched, w.hosts);
        assert.deepEqual(simulateRollout(input), reference);
      }),
      { seed: 18, numRuns: 120 },
    );
  });
});
