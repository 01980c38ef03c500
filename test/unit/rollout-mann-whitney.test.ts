import { describe, expect, it } from 'vitest';
import { mannWhitneyGreater } from '../../rollout/engine/stats/mann-whitney.ts';
import { median } from '../../rollout/engine/stats/median.ts';
import { normalUpperTail } from '../../rollout/engine/stats/normal.ts';

/*
 * Expected values are worked by hand below each case; the p-values agree with
 * scipy.stats.mannwhitneyu(x, y, alternative='greater', method='asymptotic') to the digits shown.
 */
describe('mannWhitneyGreater', () => {
  it('separated samples, no ties', () => {
    // Ranks of x: 4, 5, 6, so R = 15 and U = 15 - 3·4/2 = 9 = n1·n2.
    // mean 4.5, variance 3·3·7/12 = 5.25, z = (9 - 4.5 - 0.5) / √5.25 = 1.745743.
    const result = mannWhitneyGreater([7, 8, 9], [1, 2, 3]);
    expect(result.u).toBe(9);
    expect(result.z).toBeCloseTo(1.745743, 6);
    expect(result.p).toBeCloseTo(0.0404278, 6);
  });

  it('the other way round gives no evidence of an increase', () => {
    // U = 0, z = (0 - 4.5 - 0.5) / √5.25 = -2.182179.
    const result = mannWhitneyGreater([1, 2, 3], [7, 8, 9]);
    expect(result.u).toBe(0);
    expect(result.z).toBeCloseTo(-2.182179, 6);
    expect(result.p).toBeCloseTo(0.9854518, 6);
  });

  it('ties take the average rank and shrink the variance', () => {
    // Pooled, sorted: 1y 2x 2y 2y 3x 3x 3y 4x. The 2s share rank 3, the 3s rank 6.
    // Ranks of x: 3, 6, 6, 8 → R = 23, U = 23 - 4·5/2 = 13.
    // Ties: two groups of three, Σ(t³ - t) = 48; variance = 16/12 · (9 - 48/56) = 10.857143.
    // z = (13 - 8 - 0.5) / √10.857143 = 1.365698.
    const result = mannWhitneyGreater([2, 3, 3, 4], [1, 2, 2, 3]);
    expect(result.u).toBe(13);
    expect(result.z).toBeCloseTo(1.365698, 6);
    expect(result.p).toBeCloseTo(0.0860169, 6);
  });

  it('latencies of ten patched and ten baseline requests', () => {
    // Ranks of x: 8.5 (112 tied), 11.5 (118 tied), 13 to 20 → R = 152, U = 152 - 55 = 97.
    // Ties: two pairs, Σ(t³ - t) = 12; variance = 100/12 · (21 - 12/380) = 174.736842.
    // z = (97 - 50 - 0.5) / √174.736842 = 3.517715.
    const patched = [112, 118, 125, 131, 140, 122, 119, 150, 133, 128];
    const baseline = [101, 108, 99, 115, 112, 104, 110, 97, 118, 106];
    const result = mannWhitneyGreater(patched, baseline);
    expect(result.u).toBe(97);
    expect(result.z).toBeCloseTo(3.517715, 6);
    expect(result.p).toBeCloseTo(0.000217639, 8);
  });

  it('U of one sample and U of the other add up to n1·n2', () => {
    const x = [5, 1, 4, 4, 9, 2];
    const y = [3, 4, 8, 1];
    expect(mannWhitneyGreater(x, y).u + mannWhitneyGreater(y, x).u).toBe(24);
  });

  it('gives p = 1 when every value is the same, there being no spread to judge by', () => {
    expect(mannWhitneyGreater([5, 5, 5], [5, 5])).toEqual({ u: 3, n1: 3, n2: 2, z: 0, p: 1 });
  });

  it('needs a value on each side', () => {
    expect(() => mannWhitneyGreater([], [1])).toThrow(/at least one value/);
  });
});

describe('normalUpperTail', () => {
  it('matches the normal table, deep into the tail', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.96)).toBeCloseTo(0.0249979, 7);
    expect(normalUpperTail(-1.96)).toBeCloseTo(0.9750021, 7);
    expect(normalUpperTail(5) / 2.8665157e-7).toBeCloseTo(1, 5);
    expect(normalUpperTail(8) / 6.22096e-16).toBeCloseTo(1, 5);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
