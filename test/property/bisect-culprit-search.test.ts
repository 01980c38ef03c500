import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCulprits, type Outcome } from '../../lab/bisect/culprit-search.ts';

/**
 * A monotone test: a subset fails when it holds every item of some culprit set. The empty set
 * passes, as an empty patch does.
 */
function monotone(culpritSets: readonly number[][]) {
  const calls: number[][] = [];
  let running = 0;
  let mostAtOnce = 0;
  const fails = (subset: readonly number[]) => culpritSets.some((c) => c.every((i) => subset.includes(i)));
  const test = async (subset: number[]): Promise<Outcome> => {
    calls.push([...subset]);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    // Tests finish out of order, as lab runs do.
    for (let turns = (subset.length * 7) % 3; turns >= 0; turns--) await new Promise((resolve) => setImmediate(resolve));
    running--;
    return fails(subset) ? 'fail' : 'pass';
  };
  return { test, fails, calls, mostAtOnce: () => mostAtOnce };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i);

const scenario = fc
  .integer({ min: 1, max: 64 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      culpritSets: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      concurrency: fc.integer({ min: 1, max: 4 }),
      wholeSetFailed: fc.boolean(),
    }),
  );

describe('culprit search properties', () => {
  it('finds culprit sets that fail and are 1-minimal, and a rest that passes, for any monotone test over up to 64 items', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, culpritSets, concurrency, wholeSetFailed }) => {
        const model = monotone(culpritSets);
        const result = await findCulprits({ items: items(n), test: model.test, concurrency, wholeSetFailed });
        expect(result.culprits.length).toBeGreaterThan(0);
        for (const culprit of result.culprits) {
          expect(model.fails(culprit)).toBe(true);
          for (const left of culprit) expect(model.fails(culprit.filter((i) => i !== left))).toBe(false);
        }
        expect(model.fails(result.rest)).toBe(false);
        // Disjoint, and together with the rest they are every item.
        expect([...result.culprits.flat(), ...result.rest].sort((a, b) => a - b)).toEqual(items(n));
        // Every test is counted, run once, and never more at once than allowed.
        expect(result.testsRun).toBe(model.calls.length);
        expect(new Set(model.calls.map((c) => c.join(','))).size).toBe(model.calls.length);
        expect(model.mostAtOnce()).toBeLessThanOrEqual(concurrency);
        expect(result.steps.every((s) => s.outcome !== undefined)).toBe(true);
        // Each culprit set was seen to fail on its own.
        result.provenBy.forEach((by, i) => {
          if (by === 'given') expect(wholeSetFailed && result.culprits[i]?.length === n).toBe(true);
          else expect(result.steps[by - 1]).toMatchObject({ subset: result.culprits[i], outcome: 'fail' });
        });
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });

  it('finds the same culprits whatever the concurrency: only the number of waves changes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, culpritSets }) => {
        const one = await findCulprits({ items: items(n), test: monotone(culpritSets).test, wholeSetFailed: true });
        const four = await findCulprits({ items: items(n), test: monotone(culpritSets).test, wholeSetFailed: true, concurrency: 4 });
        expect(four.culprits).toEqual(one.culprits);
        expect(four.waves).toBeLessThanOrEqual(one.waves);
      }),
      { seed: 20261208, numRuns: 200 },
    );
  });

  it('takes at most ceil(log2 N) + 2 tests for a single culprit, the passing run of the rest included', async () => {
    const single = fc.integer({ min: 1, max: 64 }).chain((n) => fc.record({ n: fc.constant(n), culprit: fc.integer({ min: 0, max: n - 1 }) }));
    await fc.assert(
      fc.asyncProperty(single, async ({ n, culprit }) => {
        const bound = Math.ceil(Math.log2(n)) + 2;
        const given = await findCulprits({ items: items(n), test: monotone([[culprit]]).test, wholeSetFailed: true });
        expect(given.culprits).toEqual([[culprit]]);
        expect(given.testsRun).toBeLessThanOrEqual(bound);
        // Not told that the whole set fails: one test more, to see it.
        const untold = await findCulprits({ items: items(n), test: monotone([[culprit]]).test });
        expect(untold.testsRun).toBeLessThanOrEqual(bound + 1);
        // In parallel: fewer waves, each at most `concurrency` tests.
        for (const concurrency of [2, 4]) {
          const parallel = await findCulprits({ items: items(n), test: monotone([[culprit]]).test, wholeSetFailed: true, concurrency });
          expect(parallel.culprits).toEqual([[culprit]]);
          expect(parallel.waves).toBeLessThanOrEqual(Math.ceil(Math.log(n) / Math.log(concurrency + 1)) + 2);
        }
      }),
      { seed: 20261209, numRuns: 300 },
    );
  });

  it('reports no culprit when the whole set passes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 64 }), async (n) => {
        const result = await findCulprits({ items: items(n), test: monotone([[n + 1]]).test });
        expect(result.culprits).toEqual([]);
        expect(result.rest).toEqual(items(n));
        expect(result.testsRun).toBe(n === 0 ? 0 : 1);
      }),
      { seed: 20261210, numRuns: 50 },
    );
  });
});
