import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { amount, fault } from './simulate-arbitraries.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import { simulateColumns } from '../../rollout/simulate/column-run.ts';
import { LeftFastPath } from '../../rollout/simulate/host-columns.ts';
import { simulateByWaves, simulateRollout, type SimulationInput } from '../../rollout/simulate/simulation.ts';
import { fleetFor, MINUTE, ring, settingsFor } from '../unit/simulate-harness.ts';

/*
 * The columnar fast path (column-run.ts) against the run on the engine's own state it stands in
 * for: on small fleets, through random plans, policies, ticks and fault models, wherever the
 * columns carry a run to its end, the whole result is the same (outcome, every timeline entry
 * with the engine's reasons, time to 95 %, per-ring figures, series, work counts); where they
 * stop, simulateRollout gives the engine-state run's result.
 */

const plan = fc
  .record({
    sizes: fc.array(fc.integer({ min: 2, max: 30 }), { minLength: 0, maxLength: 2 }),
    concurrency: fc.array(amount(5, 100), { minLength: 3, maxLength: 3 }),
    soakMinutes: fc.array(fc.integer({ min: 0, max: 180 }), { minLength: 3, maxLength: 3 }),
    approvals: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    latency: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  })
  .map(({ sizes, concurrency, soakMinutes, approvals, latency }): RingSpec[] => {
    const options = (i: number) => ({
      concurrency: concurrency[i]!,
      failureBudget: { percent: 2 },
      soakMs: soakMinutes[i]! * MINUTE,
      requiresApproval: approvals[i]! && i === 1,
      healthGate: { latency: latency[i]! },
    });
    return [...sizes.map((percent, i) => ring(`ring${i}`, { percent }, options(i))), ring('broad', 'rest', options(2))];
  });

const policy: fc.Arbitrary<RolloutPolicy> = fc.record({
  name: fc.constantFrom('standard', 'fast', 'slow'),
  soakFactor: fc.constantFrom(0.25, 1, 2),
  checkTimeoutMs: fc.integer({ min: 1, max: 20 }).map((m) => m * MINUTE),
  maxFlaps: fc.integer({ min: 0, max: 3 }),
  latency: fc.record({
    alpha: fc.constantFrom(0.01, 0.05, 0.2),
    minEffectRatio: fc.constantFrom(0, 0.05, 0.1),
    minSamples: fc.integer({ min: 2, max: 40 }),
  }),
});

const world = fc.record({
  hosts: fc.integer({ min: 10, max: 300 }),
  rings: plan,
  policy: fc.oneof(fc.constant(STANDARD_POLICY), policy),
  // Mostly a fleet the columns carry to the end; faults make them stop, or change only latency and timing.
  faults: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(fault, { maxLength: 2, size: 'max' }) }),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  checkMinutes: fc.integer({ min: 1, max: 5 }),
  tickMinutes: fc.constantFrom(null, 1, 2, 7),
  // A first ring chosen by label: not a stretch of the draw, so its hosts are found by id.
  byLabel: fc.boolean(),
});

function inputOf(w: typeof world extends fc.Arbitrary<infer T> ? T : never): SimulationInput {
  const checkIntervalMs = w.checkMinutes * MINUTE;
  const settings = settingsFor({ hosts: w.hosts, checkIntervalMs, settings: w.tickMinutes ? { tickMs: w.tickMinutes * MINUTE } : {} });
  const groups = w.byLabel ? [{ count: Math.max(1, Math.floor(w.hosts / 10)), labels: { site: 'paris' } }] : [];
  const rings = w.byLabel ? [ring('paris', { labels: { site: 'paris' } }, { concurrency: { percent: 50 }}), ...w.rings] : w.rings;
  return { name: 'p', fleet: fleetFor(w.hosts, groups), rings, policy: w.policy, checkIntervalMs, faults: w.faults, seed: w.seed, settings };
}

function attempt<T>(run: () => T): T | 'plan-error' | 'left' {
  try {
    return run();
  } catch (error) {
    if ((error as Error).name === 'PlanError') return 'plan-error';
    if (error instanceof LeftFastPath) return 'left';
    throw error;
  }
}

describe('the columnar fast path', () => {
  it('gives the result of the run on the engine state wherever it reaches the end, and simulateRollout falls back where it does not', () => {
    const seen = { carried: 0, left: 0, rolledBack: 0, latencyJudged: 0 };
    fc.assert(
      fc.property(world, (w) => {
        const input = inputOf(w);
        const reference = attempt(() => simulateByWaves(input));
        fc.pre(reference !== 'plan-error' && reference !== 'left');
        const columns = attempt(() => simulateColumns(input));
        assert.notEqual(columns, 'plan-error');
        if (columns === 'left') {
          seen.left++;
          if (reference.outcome === 'rolled-back') seen.rolledBack++;
          assert.deepEqual(simulateRollout(input), reference);
          return;
        }
        seen.carried++;
        if (reference.timeline.some((t) => t.reasons.some((r) => r.includes(', no regression')))) seen.latencyJudged++;
        assert.deepEqual(columns, reference);
      }),
      { seed: 20261207, numRuns: 300 },
    );
    // Not a test that cannot fail by never taking the path: most runs stay on it, some leave it.
    assert.ok(seen.carried >= 100, `only ${seen.carried} runs stayed on the fast path`);
    assert.ok(seen.left >= 20, `only ${seen.left} runs left the fast path`);
    assert.ok(seen.rolledBack >= 10, `only ${seen.rolledBack} runs that left it were rolled back`);
    assert.ok(seen.latencyJudged >= 20, `only ${seen.latencyJudged} runs judged latency on the fast path`);
  });
});
