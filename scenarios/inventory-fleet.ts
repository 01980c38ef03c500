import { resolve } from 'node:path';
import { InputError } from '../lab/config/validation.ts';
import { loadInventory } from '../lab/inventory/load.ts';
import type { InventoryHost } from '../lab/inventory/inventory.ts';
import type { FleetGroup } from '../rollout/fleets/host-labels.ts';
import { DEFAULT_WAITS, type ServerFleetPlan } from '../rollout/fleets/ssh/server-fleet-plan.ts';
import { isFile } from './files.ts';
import type { ScenarioFile } from './schema.ts';

/** Faults the server fleet plays: packages installed with the patch. It never stops, fills or breaks a server otherwise. */
const SERVER_FAULTS = new Set(['bad-package', 'latency']);
/** Faults only the simulator plays; a real fleet of either kind passes over them. */
const SIMULATED_FAULTS = new Set(['offline', 'slow-report', 'check-noise']);

/**
 * The inventory's hosts as fleet groups: one group for each set of labels, in the order the
 * inventory first gives it. Ring and fault selectors are checked against these as against a
 * scenario's own groups, and the simulator keeps each group's share at any size. Pure.
 */
export function groupsOfHosts(hosts: readonly InventoryHost[]): FleetGroup[] {
  const groups = new Map<string, FleetGroup>();
  for (const host of hosts) {
    const key = JSON.stringify(Object.entries(host.labels).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { count: 1, labels: { ...host.labels } });
  }
  return [...groups.values()];
}

/**
 * `fleet.inventory` read into the servers a rollout reaches, paths relative to the scenario's
 * folder; every problem is added to `problems` with its field. Undefined for a fleet of containers.
 */
export function readServerFleet(raw: ScenarioFile, dir: string, problems: string[]): ServerFleetPlan | undefined {
  const { fleet } = raw;
  if (fleet.inventory === undefined) {
    if (fleet.hosts === undefined) problems.push('fleet: expected hosts (how many containers to start) or inventory (a file of your servers), got neither');
    if (fleet.ssh !== undefined) problems.push('fleet.ssh: expected only with fleet.inventory (containers are not reached over ssh)');
    raw.rings?.forEach((ring, i) => {
      if (ring.reboot !== 'never') problems.push(`rings[${i}].reboot: expected never for a fleet of containers (a container cannot reboot); ${ring.reboot} needs fleet.inventory`);
    });
    return undefined;
  }
  if (fleet.hosts !== undefined) problems.push('fleet.hosts: expected either hosts or inventory, not both (the inventory says how many servers)');
  if (fleet.groups.length > 0) problems.push('fleet.groups: expected no groups with an inventory: its groups are the labels (group=web, group.prod=true)');
  raw.faults.forEach((fault, i) => {
    if (!SERVER_FAULTS.has(fault.kind) && !SIMULATED_FAULTS.has(fault.kind)) {
      problems.push(`faults[${i}].kind: expected bad-package or latency on servers (patchlab never stops, fills or breaks a team's server otherwise), got ${fault.kind}`);
    }
  });
  const inventory = resolve(dir, fleet.inventory);
  const config = fleet.ssh?.config === undefined ? undefined : resolve(dir, fleet.ssh.config);
  if (config !== undefined && !isFile(config)) problems.push(`fleet.ssh.config: expected an ssh config file, ${config} does not exist`);
  let servers: InventoryHost[] = [];
  try {
    servers = loadInventory(inventory).hosts;
    if (servers.length === 0) problems.push(`fleet.inventory: expected an inventory with at least one host, ${inventory} has none`);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(`fleet.inventory: ${error.message}`);
  }
  return {
    inventory,
    ...(config !== undefined ? { sshConfig: config } : {}),
    servers,
    waits: {
      lockWaitMs: fleet.ssh?.lockWait ?? DEFAULT_WAITS.lockWaitMs,
      lostAfterMs: fleet.ssh?.lostAfter ?? DEFAULT_WAITS.lostAfterMs,
      rebootTimeoutMs: fleet.ssh?.rebootTimeout ?? DEFAULT_WAITS.rebootTimeoutMs,
    },
  };
}
