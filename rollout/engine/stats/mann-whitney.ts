import { normalUpperTail } from './normal.ts';

export interface MannWhitneyResult {
  /** U of the first sample: the (x, y) pairs with x > y, a tie counting one half. */
  u: number;
  n1: number;
  n2: number;
  /** Standardised U with tie and continuity corrections. */
  z: number;
  /** One-sided p-value for "x tends to be greater than y". */
  p: number;
}

/**
 * Mann-Whitney U test of whether the first sample is stochastically greater than the second
 * (patched latency above baseline), by the normal approximation with the tie-corrected variance
 * and a continuity correction of one half; this is what scipy.stats.mannwhitneyu(x, y,
 * alternative='greater', method='asymptotic') computes. When every value is equal there is no
 * spread to judge by, and no evidence of an increase: p is 1.
 */
export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('Mann-Whitney U needs at least one value in each sample');

  // Each sample sorted on its own (a native sort of numbers), then walked together: each run of
  // equal values is one group of tied ranks, wherever its members come from.
  const xs = Float64Array.from(x).sort();
  const ys = Float64Array.from(y).sort();
  let rankSumFirst = 0;
  let tieTerm = 0;
  for (let i = 0, j = 0; i < n1 || j < n2; ) {
    const value = j >= n2 || (i < n1 && xs[i]! <= ys[j]!) ? xs[i]! : ys[j]!;
    let fromX = 0;
    while (i < n1 && xs[i] === value) {
      fromX++;
      i++;
    }
    let fromY = 0;
    while (j < n2 && ys[j] === value) {
      fromY++;
      j++;
    }
    const tied = fromX + fromY;
    const start = i + j - tied;
    const averageRank = (start + start + tied - 1) / 2 + 1;
    for (let k = 0; k < fromX; k++) rankSumFirst += averageRank;
    tieTerm += tied ** 3 - tied;
  }

  const n = n1 + n2;
  const u = rankSumFirst - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, n1, n2, z: 0, p: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, n1, n2, z, p: normalUpperTail(z) };
}
