import type { FleetHost } from '../engine/plan.ts';
import { hostLabels, type FleetShape } from '../fleets/host-labels.ts';

/** Versions of the simulated patch: what a host runs before, and what the rollout installs. */
export const BASE_VERSION = 'base';
export const TARGET_VERSION = 'patched';

/** The simulated fleet: host ids and labels by index, built once and shared by every policy simulated on it. */
export interface SimulatedFleet {
  size: number;
  prefix: string;
  ids: readonly string[];
  hosts: readonly FleetHost[];
}

/**
 * `size` hosts named `<prefix>-<index>`, labelled as the scenario's groups say at that size (each
 * group keeps its share). Hosts of a group share one labels object: nothing changes labels, and a
 * million copies would cost a hundred megabytes.
 */
export function simulatedFleet(fleet: FleetShape, size: number, prefix = 'host'): SimulatedFleet {
  const labels = hostLabels(fleet, size);
  const width = String(Math.max(size - 1, 0)).length;
  const ids: string[] = new Array<string>(size);
  const hosts: FleetHost[] = new Array<FleetHost>(size);
  for (let i = 0; i < size; i++) {
    const id = `${prefix}-${String(i).padStart(width, '0')}`;
    ids[i] = id;
    hosts[i] = { id, labels: labels[i] as Record<string, string>, version: BASE_VERSION };
  }
  return { size, prefix, ids, hosts };
}

/** The index in the fleet of a host the engine names, read from the digits of its id rather than looked up. */
export function indexOfHost(fleet: SimulatedFleet, id: string): number {
  let index = 0;
  for (let k = fleet.prefix.length + 1; k < id.length; k++) index = index * 10 + id.charCodeAt(k) - 48;
  if (!(index >= 0 && fleet.ids[index] === id)) throw new Error(`the simulated fleet has no host ${id}`);
  return index;
}
