import { ringHealth } from './health.ts';
import { indexObservations, type Observation } from './observations.ts';
import type { RolloutPolicy } from './policy.ts';
import { median } from './stats/median.ts';
import type { RolloutState } from './state.ts';

export interface HealthSample {
  at: number;
  /** Ring name. */
  ring: string;
  /** Share of patched hosts not failed; null before any host is patched. */
  passRate: number | null;
  failed: number;
  budget: number;
  latencyP50: number | null;
}

export type NewHealthSample = Omit<HealthSample, 'latencyP50'> & { latencyP50?: number | null };

/**
 * One sample per ring the rollout has reached, for the health-over-time chart: the pass rate
 * and failures the engine judges by, and the median latency of the ring's patched hosts at
 * their latest check. Pure.
 */
export function healthSamplesOf(state: RolloutState, observations: readonly Observation[], at: number, policy: RolloutPolicy): NewHealthSample[] {
  const index = indexObservations(observations);
  const samples: NewHealthSample[] = [];
  for (let ring = 0; ring <= Math.min(state.ring, state.rings.length - 1); ring++) {
    const health = ringHealth(state, ring, index, at, policy);
    const latencies = state.hosts
      .filter((h) => h.ring === ring && h.version === state.patch.version)
      .flatMap((h) => index.get(h.id)?.at(-1)?.checks.flatMap((c) => (c.metrics?.latencyMs === undefined ? [] : [c.metrics.latencyMs])) ?? []);
    samples.push({
      at,
      ring: health.name,
      passRate: health.passRate,
      failed: health.failed.length,
      budget: health.budget,
      latencyP50: latencies.length > 0 ? median(latencies) : null,
    });
  }
  return samples;
}
