import { describe, expect, it } from 'vitest';
import { StepSeries } from '../../rollout/simulate/series.ts';

describe('step series', () => {
  it('keeps one point per time and drops repeats of the same value', () => {
    const series = new StepSeries();
    series.record(0, 0);
    series.record(5, 1);
    series.record(5, 2);
    series.record(6, 2);
    series.record(9, 3);
    expect(series.size).toBe(3);
    expect(series.thinned(1000, 9)).toEqual({ at: [0, 5, 9], value: [0, 2, 3] });
  });

  it('thins a long series to about the points asked for, keeping its ends and a short dip', () => {
    const series = new StepSeries();
    for (let t = 0; t <= 100_000; t++) series.record(t, t === 50_000 ? 0 : t);
    const { at, value } = series.thinned(300, 120_000);
    expect(at.length).toBeLessThan(450);
    expect(at[0]).toBe(0);
    expect(at.at(-1)).toBe(120_000);
    expect(value.at(-1)).toBe(100_000);
    expect(value).toContain(0);
    expect(at.slice(1).every((t, i) => t > at[i]!)).toBe(true);
  });

  it('draws a rollout that never started as a flat line to the end', () => {
    const series = new StepSeries();
    series.record(10, 0);
    expect(series.thinned(100, 50)).toEqual({ at: [10, 50], value: [0, 0] });
    expect(new StepSeries().thinned(100, 50)).toEqual({ at: [], value: [] });
  });
});
