import { availableActions } from '../../rollout/engine/commands.ts';
import type { StoredRollout } from '../../rollout/store/rollout-store.ts';

/** A rollout as the API gives it: its state, the commands it would accept now, and its audit log. */
export function rolloutJson(record: StoredRollout) {
  const { state } = record;
  return {
    id: record.id,
    scenario: record.scenario,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    phase: state.phase,
    ring: state.rings[state.ring]?.name ?? null,
    patch: state.patch,
    paused: state.paused,
    policy: record.policy.name,
    rings: state.rings.map((r, i) => ({
      name: r.name,
      hosts: r.hostIds.length,
      failureBudget: r.failureBudget,
      requiresApproval: r.requiresApproval,
      approval: r.approval,
      startedAt: r.startedAt,
      soakStartedAt: r.soakStartedAt,
      promotedAt: r.promotedAt,
      current: i === state.ring,
    })),
    hosts: state.hosts.map((h) => ({ id: h.id, ring: state.rings[h.ring]?.name ?? null, phase: h.phase, version: h.version, failure: h.failure })),
    actions: availableActions(state),
    audit: state.audit.map((e) => ({ ...e, ring: state.rings[e.ring]?.name ?? null, at: new Date(e.at).toISOString() })),
  };
}
