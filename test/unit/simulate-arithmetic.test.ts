import { describe, expect, it } from 'vitest';
import { chanceToCatch, uniformBreakProbability } from '../../rollout/simulate/arithmetic.ts';
import type { Fault } from '../../rollout/fleets/faults.ts';

function binomialTail(n: number, p: number, budget: number): number {
  let within = 0;
  let choose = 1;
  for (let k = 0; k <= budget; k++) {
    if (k > 0) choose = (choose * (n - k + 1)) / k;
    within += choose * p ** k * (1 - p) ** (n - k);
  }
  return 1 - within;
}

const bad = (hosts: Fault['hosts']): Fault => ({ kind: 'bad-package', hosts, effect: 'break-service' });

describe('arithmetic the simulator must agree with', () => {
  it('a canary of n hosts with no failure budget catches a patch breaking each host with probability p with 1 - (1 - p)^n', () => {
    for (const n of [1, 2, 5, 10, 100, 1000]) {
      for (const p of [0.001, 0.01, 0.1, 0.5]) expect(chanceToCatch(n, p)).toBeCloseTo(1 - (1 - p) ** n, 12);
    }
  });

  it('a failure budget b needs more than b broken hosts: the binomial tail', () => {
    for (const [n, p, b] of [
      [10, 0.2, 1],
      [20, 0.05, 2],
      [50, 0.3, 10],
    ] as const) {
      expect(chanceToCatch(n, p, b)).toBeCloseTo(binomialTail(n, p, b), 10);
    }
    expect(chanceToCatch(5, 0.5, 5)).toBe(0);
    expect(chanceToCatch(5, 0, 0)).toBe(0);
    expect(chanceToCatch(5, 1, 2)).toBe(1);
    // A thousand hosts with a budget of ten does not underflow into nonsense.
    expect(chanceToCatch(1000, 0.02, 10)).toBeCloseTo(binomialTail(1000, 0.02, 10), 8);
  });

  it('knows the break probability only when every host has the same', () => {
    expect(uniformBreakProbability([])).toBe(0);
    expect(uniformBreakProbability([{ kind: 'offline', hosts: { probability: 0.5 } }])).toBe(0);
    expect(uniformBreakProbability([bad({ probability: 0.1 })])).toBeCloseTo(0.1);
    expect(uniformBreakProbability([bad({})])).toBe(1);
    expect(uniformBreakProbability([bad({ probability: 0.1 }), bad({ probability: 0.2 })])).toBeCloseTo(1 - 0.9 * 0.8);
    expect(uniformBreakProbability([bad({ probability: 0.1, labels: { site: 'paris' } })])).toBeNull();
    expect(uniformBreakProbability([bad({ fraction: 0.1 })])).toBeNull();
    expect(uniformBreakProbability([bad({ ring: 'canary' })])).toBeNull();
  });
});
