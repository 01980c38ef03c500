import { describe, expect, it } from 'vitest';
import { geometric, hash32, logNormal, mulberry32, nextUnit, standardNormal, unitAt } from '../../rollout/simulate/random.ts';
import { mulberry32 as harnessMulberry32 } from './rollout-harness.ts';

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('seeded randomness', () => {
  it('is mulberry32, whether kept in a closure or in a typed array slot', () => {
    const reference = harnessMulberry32(42);
    const closure = mulberry32(42);
    const states = new Uint32Array([0, 42]);
    for (let i = 0; i < 1000; i++) {
      const expected = reference();
      expect(closure()).toBe(expected);
      expect(nextUnit(states, 1)).toBe(expected);
    }
    expect(states[0]).toBe(0);
  });

  it('keys a draw by its inputs alone, and different keys give different draws', () => {
    expect(unitAt(7, 3, 2, 1)).toBe(unitAt(7, 3, 2, 1));
    const draws = new Set<number>();
    for (let host = 0; host < 1000; host++) for (const purpose of [1, 2]) draws.add(hash32(7, host, 0, purpose));
    expect(draws.size).toBe(2000);
    expect(hash32(7, 1)).not.toBe(hash32(8, 1));
    expect(hash32(7, 1, 2)).not.toBe(hash32(7, 2, 1));
  });

  it('spreads keyed draws evenly over [0, 1)', () => {
    const draws = Array.from({ length: 20_000 }, (_, i) => unitAt(123, i));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(mean(draws)).toBeCloseTo(0.5, 2);
    const deciles = new Array<number>(10).fill(0);
    for (const d of draws) deciles[Math.floor(d * 10)]!++;
    for (const count of deciles) expect(Math.abs(count - 2000)).toBeLessThan(200);
  });

  it('draws normals with mean 0 and variance 1, and log-normals around their median', () => {
    const random = mulberry32(5);
    const normals = Array.from({ length: 20_000 }, () => standardNormal(random(), random()));
    expect(mean(normals)).toBeCloseTo(0, 1);
    expect(mean(normals.map((z) => z * z))).toBeCloseTo(1, 1);
    const durations = Array.from({ length: 20_001 }, () => logNormal(120_000, 0.5, random(), random())).sort((a, b) => a - b);
    expect(durations[10_000]! / 120_000).toBeCloseTo(1, 1);
    expect(durations[0]).toBeGreaterThan(0);
    expect(logNormal(120_000, 0, random(), random())).toBe(120_000);
  });

  it('counts geometric trials up to the first success, with mean 1/p', () => {
    const random = mulberry32(9);
    for (const p of [0.5, 0.1, 0.01]) {
      const trials = Array.from({ length: 20_000 }, () => geometric(p, random()));
      expect(Math.min(...trials)).toBe(1);
      expect(mean(trials) * p).toBeCloseTo(1, 1);
    }
    expect(geometric(0, 0.5)).toBe(Number.POSITIVE_INFINITY);
    expect(geometric(1, 0.99)).toBe(1);
  });
});
