import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fault } from './simulate-arbitraries.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import type { Fault } from '../../rollout/fleets/faults.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';
import { HOUR, MINUTE, ring, simulate, type World } from '../unit/simulate-harness.ts';

/* The simulator on random small fleets, plans and fault models: what must hold whatever happens. */

const plan = fc
  .record({
    sizes: fc.array(fc.integer({ min: 2, max: 30 }), { minLength: 0, maxLength: 2 }),
    concurrency: fc.array(fc.integer({ min: 5, max: 100 }), { minLength: 3, maxLength: 3 }),
    budgets: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 3, maxLength: 3 }),
    soakMinutes: fc.array(fc.integer({ min: 0, max: 240 }), { minLength: 3, maxLength: 3 }),
    approvals: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  })
  .map(({ sizes, concurrency, budgets, soakMinutes, approvals }): RingSpec[] => [
    ...sizes.map((percent, i) =>
      ring(`ring${i}`, { percent }, {
        concurrency: { percent: concurrency[i]! },
        failureBudget: { percent: budgets[i]! },
        soakMs: soakMinutes[i]! * MINUTE,
        requiresApproval: approvals[i]!,
      }),
    ),
    ring('broad', 'rest', { concurrency: { percent: concurrency[2]! }, failureBudget: { percent: budgets[2]! }, soakMs: soakMinutes[2]! * MINUTE, requiresApproval: approvals[2]! }),
  ]);

const world = fc.record({
  hosts: fc.integer({ min: 10, max: 150 }),
  rings: plan,
  faults: fc.array(fault, { maxLength: 3, size: 'max' }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  onPause: fc.constantFrom('resume' as const, 'rollback' as const),
});

type Draw = typeof world extends fc.Arbitrary<infer T> ? T : never;

function worldOf(w: Draw): World {
  return { hosts: w.hosts, rings: w.rings, faults: w.faults, seed: w.seed, settings: { releaseManager: { approveAfterMs: 20 * MINUTE, respondAfterMs: 40 * MINUTE, onPause: w.onPause } } };
}

/** A plan some fleets cannot fill (a 2 % ring of 10 hosts still gets one; a rest ring may get none). */
function simulated(w: World): SimulationResult | null {
  try {
    return simulate(w);
  } catch (error) {
    if ((error as Error).name === 'PlanError') return null;
    throw error;
  }
}

function checkResult(r: SimulationResult): void {
  assert.notEqual(r.outcome, 'stopped', `stopped: ${r.stopReason}`);
  assert.ok(r.blastRadius <= r.harmedHosts, 'blast radius beyond the hosts the patch harms');
  assert.ok(r.blastRadius <= r.startedBeforeRollback, `blast radius ${r.blastRadius} beyond the ${r.startedBeforeRollback} hosts patched before the rollback`);
  assert.ok(r.finalPatched <= r.peakPatched && r.peakPatched <= r.hosts);
  if (r.falseRollback) assert.ok(r.outcome === 'rolled-back' && r.harmedHosts === 0, 'a false rollback of a patch that harms hosts');
  if (r.outcome === 'rolled-back') {
    assert.ok(r.rollback !== null, 'rolled back with no rollback recorded');
    assert.equal(r.finalPatched, 0, 'rolled back, yet hosts still run the patch');
  } else {
    assert.equal(r.rollback, null);
    assert.equal(r.finalPatched, r.peakPatched, 'completed, yet some host lost the patch');
  }
  if (r.timeTo95Ms !== null) {
    assert.ok(r.timeTo95Ms <= r.durationMs);
    assert.ok(r.peakPatched >= Math.ceil(0.95 * r.hosts));
  } else {
    assert.ok(r.outcome === 'rolled-back' || r.finalPatched < Math.ceil(0.95 * r.hosts), 'most of the fleet patched and no exposure window');
  }
  assert.ok(r.series.patched.every((n) => n >= 0 && n <= r.hosts));
  assert.ok(r.series.atMs.every((t, i) => i === 0 || t > r.series.atMs[i - 1]!), 'series not ordered in time');
}

describe('simulator properties', () => {
  it('keeps its invariants through random fleets, plans and faults, and the same seed gives the same run', () => {
    fc.assert(
      fc.property(world, (w) => {
        const input = worldOf(w);
        const first = simulated(input);
        fc.pre(first !== null);
        if (!first) return;
        checkResult(first);
        assert.deepEqual(simulate(input), first, 'the same seed gave another run');
      }),
      { seed: 20250114, numRuns: 150 },
    );
  });

  it('never rolls back or pauses a patch that harms no host on a fleet without noise, and patches every host', () => {
    fc.assert(
      fc.property(world, (w) => {
        const input = { ...worldOf(w), faults: [] };
        const r = simulated(input);
        fc.pre(r !== null);
        if (!r) return;
        assert.equal(r.outcome, 'completed', r.timeline.map((e) => e.reasons.join('; ')).join(' | '));
        assert.equal(r.pauses, 0);
        assert.equal(r.finalPatched, r.hosts);
        assert.ok(r.timeTo95Ms !== null);
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('never shortens the exposure window of a good patch by soaking longer', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 6 * 60 }), (w, extraMinutes) => {
        const base = { ...worldOf(w), faults: [] };
        const longer = { ...base, rings: base.rings.map((r) => ({ ...r, soakMs: r.soakMs + extraMinutes * MINUTE })) };
        const short = simulated(base);
        const long = simulated(longer);
        fc.pre(short !== null && long !== null);
        assert.ok(short!.timeTo95Ms !== null && long!.timeTo95Ms !== null);
        assert.ok(short!.timeTo95Ms! <= long!.timeTo95Ms!, `soak +${extraMinutes} min: ${short!.timeTo95Ms} then ${long!.timeTo95Ms}`);
        assert.ok(short!.durationMs <= long!.durationMs);
      }),
      { seed: 99, numRuns: 80 },
    );
  });

  it('keeps a bad patch caught in the canary within the canary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0.01, max: 0.3, noNaN: true }), fc.integer({ min: 1, max: 10 }), (seed, p, concurrency) => {
        const faults: Fault[] = [{ kind: 'bad-package', hosts: { probability: p }, effect: 'break-service' }];
        const rings = [ring('canary', { count: 10 }, { concurrency: { count: concurrency } }), ring('broad', 'rest', { concurrency: { percent: 50 } })];
        const r = simulate({ hosts: 100, seed, faults, rings });
        fc.pre(r.rollback?.ring === 'canary');
        assert.ok(r.startedBeforeRollback <= 10, `${r.startedBeforeRollback} hosts started before a rollback in a canary of 10`);
        assert.ok(r.blastRadius <= r.startedBeforeRollback);
        assert.ok(r.peakPatched <= 10);
      }),
      { seed: 3, numRuns: 60 },
    );
  });
});
