import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chanceToCatch } from '../../rollout/simulate/arithmetic.ts';
import { badPackage, MINUTE, ring, simulate } from '../unit/simulate-harness.ts';

/*
 * The canary's arithmetic: a patch that breaks each host independently with probability p is
 * caught by a canary of n hosts with failure budget b when more than b of them break, which for
 * b = 0 is 1 - (1 - p)^n. Over many seeds the simulator's share of runs rolled back in the canary
 * must fall within the confidence interval of that chance. Seeds and runs are fixed, so the test
 * gives the same answer every time; the interval (4 standard errors, plus the 1/runs a share
 * cannot resolve) leaves a true simulator failing it with odds of about one in 15,000 per case.
 */
const RUNS = 400;
const Z = 4;

describe('the simulator against arithmetic', () => {
  it('catches a bad patch in a canary of n hosts with probability 1 - (1 - p)^n (more than b of n with a budget b)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0.02, 0.05, 0.1, 0.2, 0.35),
        fc.constantFrom(0, 0, 1, 2),
        fc.integer({ min: 0, max: 1_000_000 }),
        (n, p, budget, firstSeed) => {
          fc.pre(budget < n);
          const rings = [
            ring('canary', { count: n }, { failureBudget: { count: budget }, soakMs: 30 * MINUTE }),
            ring('broad', 'rest', { failureBudget: { percent: 100 }, soakMs: 0 }),
          ];
          let caught = 0;
          for (let run = 0; run < RUNS; run++) {
            const result = simulate({ hosts: n + 2, rings, faults: [badPackage({ probability: p })], seed: firstSeed + run });
            if (result.rollback?.ring === 'canary') caught++;
          }
          const expected = chanceToCatch(n, p, budget);
          const margin = Z * Math.sqrt((expected * (1 - expected)) / RUNS) + 1 / RUNS;
          expect(Math.abs(caught / RUNS - expected), `n=${n} p=${p} b=${budget}: ${caught}/${RUNS} against ${expected.toFixed(4)}`).toBeLessThanOrEqual(margin);
        },
      ),
      { seed: 20250114, numRuns: 16 },
    );
  });
});
