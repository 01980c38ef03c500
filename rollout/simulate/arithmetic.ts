import type { Fault } from '../fleets/faults.ts';

/*
 * Where the answer has a closed form, the simulator's figures must agree with it: these are the
 * forms the comparison prints beside what the simulation measured.
 */

/**
 * P(X > budget) for X ~ Binomial(n, p): the chance that a ring of n hosts, each broken by the
 * patch with probability p, shows more broken hosts than its failure budget. With a budget of 0
 * this is 1 - (1 - p)^n, the chance a canary of n hosts catches the patch.
 */
export function chanceToCatch(n: number, p: number, budget = 0): number {
  if (budget < 0) return 1;
  if (budget >= n || p <= 0) return 0;
  if (p >= 1) return 1;
  // Sum P(X = k) for k <= budget in logs, so a thousand-host ring does not underflow.
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logChoose = 0;
  let within = 0;
  for (let k = 0; k <= budget; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
    within += Math.exp(logChoose + k * logP + (n - k) * logQ);
  }
  return Math.min(1, Math.max(0, 1 - within));
}

/**
 * The chance that the patch breaks any one host, when the faults say so for every host alike
 * (bad-package faults with a probability and no other filter); null when it depends on the host.
 * Faults draw their hosts independently, so two of them break a host with 1 - (1 - p1)(1 - p2).
 */
export function uniformBreakProbability(faults: readonly Fault[]): number | null {
  const bad = faults.filter((f) => f.kind === 'bad-package');
  if (bad.length === 0) return 0;
  let intact = 1;
  for (const fault of bad) {
    const { probability, fraction, labels, ring, indices } = fault.hosts;
    if (fraction !== undefined || labels !== undefined || ring !== undefined || indices !== undefined) return null;
    intact *= 1 - (probability ?? 1);
  }
  return 1 - intact;
}
