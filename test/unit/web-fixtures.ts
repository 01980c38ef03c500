/*
 * Rollouts for the web tests, made by the real engine on the model fleet of rollout-harness.ts
 * (not written by hand), so the pages are tested on states the engine can actually reach.
 */
import { approve } from '../../rollout/engine/commands.ts';
import { healthSamplesOf } from '../../rollout/engine/health-samples.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { HealthSample } from '../../rollout/store/rollout-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { fleetOf, MINUTE, modelLab, tick, type Behaviour, type ModelLab } from './rollout-harness.ts';

export const WEB_RINGS: RingSpec[] = [
  { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 30 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
  { name: 'pilot', hosts: { count: 2 }, concurrency: { count: 2 }, failureBudget: { count: 1 }, soakMs: 60 * MINUTE, requiresApproval: true, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: { count: 3 }, failureBudget: { count: 1 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
];

export const WEB_POLICY: RolloutPolicy = { ...STANDARD_POLICY, checkTimeoutMs: 20 * MINUTE };

export interface Snapshot {
  lab: ModelLab;
  samples: HealthSample[];
}

/**
 * Ticks the engine until `stop` says so, approving rings as "alice" (unless told not to) and keeping a health sample
 * per tick as the runner would.
 */
export function driveModel(stop: (lab: ModelLab) => boolean, options: { behaviour?: Record<string, Behaviour>; hosts?: number; maxTicks?: number; approve?: boolean } = {}): Snapshot {
  const lab = modelLab({ hosts: fleetOf(options.hosts ?? 8), rings: WEB_RINGS, ...(options.behaviour ? { behaviour: options.behaviour } : {}) });
  const samples: Snapshot['samples'] = [];
  for (let i = 0; i < (options.maxTicks ?? 200) && !stop(lab); i++) {
    const decision = tick(lab, WEB_POLICY, MINUTE);
    samples.push(...healthSamplesOf(lab.state, lab.observations, lab.now, WEB_POLICY).map((s) => ({ ...s, latencyP50: s.latencyP50 ?? null })));
    if (decision.action === 'await-approval' && options.approve !== false) {
      const ring = lab.state.rings[decision.ring]?.name ?? '';
      lab.state = approve(lab.state, { actor: 'alice', reason: 'change CHG-42 approved', ring }, lab.now);
    }
  }
  return { lab, samples };
}

/** Stores the snapshot as a rollout, with its check results and health samples. */
export async function storeSnapshot(store: Store, snapshot: Snapshot, scenario = 'scenarios/demo.yaml', id?: string): Promise<string> {
  const state = id ? { ...snapshot.lab.state, id } : snapshot.lab.state;
  await store.createRollout({ state, scenario, policy: WEB_POLICY });
  await store.recordObservations(state.id, snapshot.lab.observations);
  for (const sample of snapshot.samples) await store.recordHealthSample(state.id, sample);
  return state.id;
}
