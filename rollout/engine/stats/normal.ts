/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

const ERFC_FIT = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/**
 * Complementary error function by the Chebyshev fit of Numerical Recipes (erfcc): relative error
 * below 1.2e-7 everywhere, and unlike 1 - erf(x) it keeps its precision deep in the tail, where
 * small p-values live.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const fit = ERFC_FIT.reduceRight((sum, coefficient) => coefficient + t * sum, 0);
  const tail = t * Math.exp(-z * z + fit);
  return x >= 0 ? tail : 2 - tail;
}
