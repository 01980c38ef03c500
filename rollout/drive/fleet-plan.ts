import type { AgeWait } from '../engine/age-wait.ts';
import { createRollout } from '../engine/state.ts';
import { faultsForHosts } from '../fleets/containers/faults-for-hosts.ts';
import type { PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import { hostLabels } from '../fleets/host-labels.ts';
import type { RolloutPlan } from './rollout-plan.ts';

/**
 * A new rollout's hosts, rings and faults, wherever its fleet starts. Rings and faults follow from
 * the hosts' names and labels and the rollout's id, not from the patch, so the fleet can start
 * with its faults while the patch is prepared.
 */
export function fleetPlan(id: string, plan: RolloutPlan, now: () => number) {
  const prefix = plan.image.replace(/[^a-z0-9]+/g, '-');
  const planned = (version: string) =>
    plan.servers
      ? plan.servers.servers.map((s) => ({ id: s.name, labels: { ...s.labels }, version }))
      : hostLabels(plan.fleet).map((labels, i) => ({ id: `${prefix}-${String(i + 1).padStart(2, '0')}`, labels: { ...labels }, version }));
  const stateFor = (patch: Pick<PreparedPatch, 'name' | 'version' | 'baseVersion'>, ageWait: AgeWait | null = null) =>
    createRollout({ id, patch: { name: patch.name, version: patch.version, severity: plan.severity }, hosts: planned(patch.baseVersion), rings: plan.rings, now: now(), ageWait });
  const faults = faultsForHosts(plan.faults, planned('unpatched'), stateFor({ name: 'the patch', version: 'patched', baseVersion: 'unpatched' }), plan.fleet.seed);
  return { prefix, planned, stateFor, faults };
}

/** The hosts dealt round the engines like cards, so each engine holds as many as another, give or take one. */
export function dealHosts(ids: readonly string[], engines: readonly string[]): { engine: string; only: string[] }[] {
  return engines.map((engine, e) => ({ engine, only: ids.filter((_, i) => i % engines.length === e) })).filter((s) => s.only.length > 0);
}
