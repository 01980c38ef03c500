import { storedPolicyChoice } from '../../rollout/drive/policy-choice.ts';
import { waitingUntil } from '../../rollout/engine/age-wait.ts';
import { availableActions } from '../../rollout/engine/commands.ts';
import type { RolloutSummary, StoredRollout } from '../../rollout/store/rollout-store.ts';
import { rolloutStatus } from '../model/rollout-status.ts';
import { listedPolicyChoice, policyLabel, policyLabelText } from '../model/policy-label.ts';
import type { EngineWait } from '../model/waiting.ts';

/**
 * A rollout as the API lists it: its summary, what it is doing (`status`: its phase, or
 * waiting-for-age with `waitingUntil`), and the policy that applies with where it came from
 * (`policy`, null for a rollout from before policy choices; `policyLabel`; `policyChoice`).
 */
export function summaryJson(summary: RolloutSummary, now: number) {
  const status = rolloutStatus(summary.phase, summary.ageWaitUntil, now);
  const choice = listedPolicyChoice(summary);
  return {
    ...summary,
    status: status.key,
    waitingUntil: status.until === null ? null : new Date(status.until).toISOString(),
    policy: choice?.policy ?? null,
    policyLabel: policyLabelText(policyLabel(choice, summary.patch)),
    policyChoice: choice,
  };
}

/**
 * A rollout as the API gives it: its state, how it came by its policy, what it waits for (the
 * minimum age; `engines`, host steps queued for an engine no live worker is on), the commands it
 * would accept now, and its audit log.
 */
export function rolloutJson(record: StoredRollout, now: number, engines: readonly EngineWait[] = []) {
  const { state } = record;
  const until = waitingUntil(state.ageWait, now);
  const iso = (at: number) => new Date(at).toISOString();
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
    /** Which rule (or severity) picked the policy, with the advisory figures behind it; null for a rollout from before policy rules. */
    policyChoice: storedPolicyChoice(record.meta),
    /** Set while updates younger than the minimum age hold the first patch back: until when. */
    waitingUntil: until === null ? null : iso(until),
    /** One entry per Docker engine whose hosts' steps are queued with no live worker on it; empty when none waits (or without workers). */
    waitingForWorkers: engines.map((e) => ({ engine: e.engine, since: iso(e.since), hosts: [...e.hosts], text: `waiting for a worker on engine ${e.engine} since ${iso(e.since)}` })),
    ageWait: state.ageWait
      ? { ...state.ageWait, until: iso(state.ageWait.until), young: state.ageWait.young.map((u) => ({ ...u, firstSeenAt: iso(u.firstSeenAt) })), override: state.ageWait.override && { ...state.ageWait.override, at: iso(state.ageWait.override.at) } }
      : null,
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
