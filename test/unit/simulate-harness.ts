/*
 * Simulations for tests: small fleets, plain plans and a world that is quick to describe. The
 * defaults are a good patch on a quiet fleet; each test changes what it is about.
 */
import type { Amount, RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import { simulatedFleet, type SimulatedFleet } from '../../rollout/simulate/fleet-hosts.ts';
import type { SimulationResult } from '../../rollout/simulate/result.ts';
import { resolveSettings, type SimulationSettings } from '../../rollout/simulate/settings.ts';
import { simulateRollout } from '../../rollout/simulate/simulation.ts';
import type { FleetGroup } from '../../rollout/fleets/host-labels.ts';
import type { Fault } from '../../rollout/fleets/faults.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function ring(name: string, hosts: RingSpec['hosts'], options: Partial<Omit<RingSpec, 'name' | 'hosts'>> = {}): RingSpec {
  return {
    name,
    hosts,
    concurrency: { percent: 100 } as Amount,
    failureBudget: { count: 0 },
    soakMs: HOUR,
    requiresApproval: false,
    healthGate: { latency: false },
    ...options,
  };
}

export interface World {
  hosts: number;
  rings: readonly RingSpec[];
  faults?: readonly Fault[];
  seed?: number;
  policy?: RolloutPolicy;
  checkIntervalMs?: number;
  groups?: readonly FleetGroup[];
  settings?: Partial<SimulationSettings>;
}

const fleets = new Map<string, SimulatedFleet>();

export function fleetFor(hosts: number, groups: readonly FleetGroup[] = []): SimulatedFleet {
  const key = `${hosts}:${JSON.stringify(groups)}`;
  let fleet = fleets.get(key);
  if (!fleet) {
    fleet = simulatedFleet({ hosts, groups: [...groups] }, hosts, 'web');
    fleets.set(key, fleet);
  }
  return fleet;
}

export function settingsFor(world: Pick<World, 'hosts' | 'checkIntervalMs' | 'settings'>): SimulationSettings {
  const base = resolveSettings({ patchSpread: 0.3 }, { hosts: world.hosts, checkIntervalMs: world.checkIntervalMs ?? MINUTE });
  return { ...base, ...world.settings, releaseManager: { ...base.releaseManager, ...world.settings?.releaseManager } };
}

export function simulate(world: World, name = 'test'): SimulationResult {
  return simulateRollout({
    name,
    fleet: fleetFor(world.hosts, world.groups),
    rings: world.rings,
    policy: world.policy ?? STANDARD_POLICY,
    checkIntervalMs: world.checkIntervalMs ?? MINUTE,
    faults: world.faults ?? [],
    seed: world.seed ?? 1,
    settings: settingsFor(world),
  });
}

export function badPackage(hosts: Fault['hosts']): Fault {
  return { kind: 'bad-package', hosts, effect: 'break-service' };
}
