import { healthSamplesOf } from '../../rollout/engine/health-samples.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import type { Store } from '../../rollout/store/store.ts';
import { MINUTE, NEW_VERSION, BASE_VERSION, tick } from '../unit/rollout-harness.ts';
import { WEB_POLICY, type Snapshot } from '../unit/web-fixtures.ts';

/*
 * Rollouts for the page-level e2e tests, made by the real engine on the model fleet (see
 * test/unit/web-fixtures.ts) and stored as a driver would store them, with their times moved to
 * the present so the page's clock (the real one) sees them as happening now. No container.
 */

/** The rollout's meta as run-rollout.ts stores it, with the prepared patch the page lists. */
export const MODEL_META = {
  image: { name: 'web', tag: 'patchlab/web:model' },
  prepared: {
    name: '2 security updates',
    version: NEW_VERSION,
    baseVersion: BASE_VERSION,
    packages: [
      { name: 'openssl', from: '3.0.13-1~deb12u1', to: '3.0.15-1~deb12u1' },
      { name: 'libssl3', from: '3.0.13-1~deb12u1', to: '3.0.15-1~deb12u1' },
    ],
    installFiles: [],
    removals: [],
    baseVersions: {},
    faultDebs: {},
  },
  checks: [],
  faults: [],
  checkIntervalMs: MINUTE,
};

/** Ticks the engine on, as driveModel does, after the test changed the state (a command). */
export function tickOn(snapshot: Snapshot, ticks: number): Snapshot {
  const { lab, samples } = snapshot;
  for (let i = 0; i < ticks; i++) {
    tick(lab, WEB_POLICY, MINUTE);
    samples.push(...healthSamplesOf(lab.state, lab.observations, lab.now, WEB_POLICY).map((s) => ({ ...s, latencyP50: s.latencyP50 ?? null })));
  }
  return snapshot;
}

/** Every time in the state moved by `delta` ms. */
function shiftState(state: RolloutState, delta: number): RolloutState {
  const at = <T extends number | null>(t: T): T => (t === null ? t : ((t + delta) as T));
  return {
    ...state,
    createdAt: state.createdAt + delta,
    paused: state.paused && { ...state.paused, at: state.paused.at + delta },
    rings: state.rings.map((r) => ({
      ...r,
      approval: r.approval && { ...r.approval, at: r.approval.at + delta },
      startedAt: at(r.startedAt),
      soakStartedAt: at(r.soakStartedAt),
      promotedAt: at(r.promotedAt),
    })),
    hosts: state.hosts.map((h) => ({ ...h, patchStartedAt: at(h.patchStartedAt), patchedAt: at(h.patchedAt), failure: h.failure && { ...h.failure, at: h.failure.at + delta } })),
    audit: state.audit.map((e) => ({ ...e, at: e.at + delta })),
  };
}

/**
 * Stores the snapshot under `id`, moved so that its last tick happened `agoMs` before now, with
 * its check results and health samples.
 */
export async function storeModelRollout(store: Store, snapshot: Snapshot, id: string, options: { agoMs?: number; meta?: Record<string, unknown>; scenario?: string } = {}): Promise<RolloutState> {
  const delta = Date.now() - (options.agoMs ?? 0) - snapshot.lab.now;
  const state = { ...shiftState(snapshot.lab.state, delta), id };
  await store.createRollout({ state, scenario: options.scenario ?? 'scenarios/demo.yaml', policy: WEB_POLICY, meta: options.meta ?? MODEL_META });
  await store.recordObservations(id, snapshot.lab.observations.map((o) => ({ ...o, at: o.at + delta })));
  for (const sample of snapshot.samples) await store.recordHealthSample(id, { ...sample, at: sample.at + delta });
  return state;
}
