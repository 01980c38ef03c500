import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fault } from './simulate-arbitraries.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';
import { simulateHostByHost, simulateRollout, type SimulationInput } from '../../rollout/simulate/simulation.ts';
import { fleetFor, MINUTE, ring, settingsFor } from '../unit/simulate-harness.ts';

/*
 * simulateRollout steps by waves on a state the engine edits in place; simulateHostByHost is the
 * reference it replaced: a heap entry per host event and a copied state per transition. On small
 * fleets, through random plans, fault models, ticks and release managers, both must reach the
 * same outcome, leave every ring's hosts in the same phases, and open the same exposure window
 * (the waves take the same events in the same order, so the times agree exactly, not just within
 * a tick).
 */

const amount = (low: number, high: number) =>
  fc.oneof(fc.record({ count: fc.integer({ min: 1, max: 12 }) }), fc.record({ percent: fc.integer({ min: low, max: high }) }));

const plan = fc
  .record({
    sizes: fc.array(fc.integer({ min: 2, max: 30 }), { minLength: 0, maxLength: 2 }),
    concurrency: fc.array(amount(5, 100), { minLength: 3, maxLength: 3 }),
    budgets: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 3, maxLength: 3 }),
    soakMinutes: fc.array(fc.integer({ min: 0, max: 180 }), { minLength: 3, maxLength: 3 }),
    approvals: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    latency: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  })
  .map(({ sizes, concurrency, budgets, soakMinutes, approvals, latency }): RingSpec[] => {
    const options = (i: number) => ({
      concurrency: concurrency[i]!,
      failureBudget: { percent: budgets[i]! },
      soakMs: soakMinutes[i]! * MINUTE,
      requiresApproval: approvals[i]!,
      healthGate: { latency: latency[i]! },
    });
    return [...sizes.map((percent, i) => ring(`ring${i}`, { percent }, options(i))), ring('broad', 'rest', options(2))];
  });

const world = fc.record({
  hosts: fc.integer({ min: 10, max: 200 }),
  rings: plan,
  faults: fc.array(fault, { maxLength: 3, size: 'max' }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  checkMinutes: fc.integer({ min: 1, max: 5 }),
  tickMinutes: fc.constantFrom(null, 1, 2, 7),
  onPause: fc.constantFrom('resume' as const, 'rollback' as const),
  respondMinutes: fc.integer({ min: 0, max: 90 }),
});

function inputOf(w: typeof world extends fc.Arbitrary<infer T> ? T : never): SimulationInput {
  const checkIntervalMs = w.checkMinutes * MINUTE;
  const release = { approveAfterMs: 20 * MINUTE, respondAfterMs: w.respondMinutes * MINUTE, onPause: w.onPause };
  const settings = settingsFor({ hosts: w.hosts, checkIntervalMs, settings: { releaseManager: release, ...(w.tickMinutes ? { tickMs: w.tickMinutes * MINUTE } : {}) } });
  return { name: 'p', fleet: fleetFor(w.hosts), rings: w.rings, policy: STANDARD_POLICY, checkIntervalMs, faults: w.faults, seed: w.seed, settings };
}

function runOf(input: SimulationInput, simulate: (input: SimulationInput) => SimulationResult): SimulationResult | null {
  try {
    return simulate(input);
  } catch (error) {
    // A plan some fleets cannot fill: not a case.
    if ((error as Error).name === 'PlanError') return null;
    throw error;
  }
}

describe('stepping by waves', () => {
  it('reaches the outcome, ring phases and exposure window of the host-by-host reference', () => {
    fc.assert(
      fc.property(world, (w) => {
        const input = inputOf(w);
        const reference = runOf(input, simulateHostByHost);
        fc.pre(reference !== null);
        const waves = simulateRollout(input);
        const tick = input.settings.tickMs;
        assert.equal(waves.outcome, reference!.outcome, reference!.stopReason ?? '');
        assert.deepEqual(waves.rings, reference!.rings, 'the rings ended otherwise');
        assert.equal(waves.timeTo95Ms === null, reference!.timeTo95Ms === null, 'exposure window opened in one only');
        if (waves.timeTo95Ms !== null) assert.ok(Math.abs(waves.timeTo95Ms - reference!.timeTo95Ms!) <= tick, 'exposure windows a tick apart or more');
        // Nothing in the stepping may change what happened: the whole result is the same.
        assert.deepEqual(waves, reference);
      }),
      { seed: 20250114, numRuns: 200 },
    );
  });
});
