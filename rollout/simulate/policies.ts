import type { RingSpec } from '../engine/plan.ts';
import type { RolloutPolicy } from '../engine/policy.ts';

/** One contender in a comparison: a ring plan and the policy the engine judges it by. */
export interface PolicyVariant {
  name: string;
  rings: readonly RingSpec[];
  policy: RolloutPolicy;
}

const HOUR = 3_600_000;

/**
 * Three rings of the given shares of the fleet (the last takes the rest), each patching a tenth
 * of itself at a time and soaking `soakMs`; budgets and gates as the default plan has them.
 */
export function standardRings(canaryPercent: number, pilotPercent: number, soakMs: number): RingSpec[] {
  const ring = (name: string, hosts: RingSpec['hosts'], failureBudget: RingSpec['failureBudget'], latency: boolean): RingSpec => ({
    name,
    hosts,
    concurrency: { percent: 10 },
    failureBudget,
    soakMs,
    requiresApproval: false,
    healthGate: { latency },
  });
  return [
    ring('canary', { percent: canaryPercent }, { count: 0 }, true),
    ring('pilot', { percent: pilotPercent }, { percent: 2 }, true),
    // Once broad is patched no unpatched host is left to compare latency with.
    ring('broad', 'rest', { percent: 1 }, false),
  ];
}

/**
 * The comparison when none is given: the scenario as written, then ring sizes 1/9/90 against
 * 5/15/80, each with a 1 h and a 24 h soak, under the scenario's own policy (its severity,
 * timeouts and latency gate), so the plans differ in nothing else.
 */
export function builtInComparison(scenario: { rings: readonly RingSpec[]; policy: RolloutPolicy }): PolicyVariant[] {
  const variants: PolicyVariant[] = [{ name: 'as written', rings: scenario.rings, policy: scenario.policy }];
  for (const [canary, pilot] of [
    [1, 9],
    [5, 15],
  ] as const) {
    for (const hours of [1, 24]) {
      variants.push({ name: `${canary}/${pilot}/${100 - canary - pilot}, soak ${hours} h`, rings: standardRings(canary, pilot, hours * HOUR), policy: scenario.policy });
    }
  }
  return variants;
}
