import { selectFaultHosts, SIMULATOR_ONLY_FAULTS, type Fault } from '../faults.ts';
import type { FleetHost } from '../../engine/plan.ts';
import type { RolloutState } from '../../engine/state.ts';
import type { HostFault } from './prepared-patch.ts';

/** Which real-fleet faults each host plays, from the scenario's selectors and the rollout's rings. */
export function faultsForHosts(faults: readonly Fault[], hosts: readonly FleetHost[], state: RolloutState, seed: number): Map<string, HostFault[]> {
  const ringOf = new Map(state.hosts.map((h) => [h.id, state.rings[h.ring]?.name ?? '']));
  const selectable = hosts.map((h, index) => ({ index, labels: h.labels, ring: ringOf.get(h.id) ?? '' }));
  const byHost = new Map<string, HostFault[]>();
  for (const fault of faults) {
    if (SIMULATOR_ONLY_FAULTS.has(fault.kind)) continue;
    const hostFault = toHostFault(fault);
    if (!hostFault) continue;
    for (const index of selectFaultHosts(fault.hosts, selectable, seed)) {
      const id = hosts[index]?.id;
      if (id) byHost.set(id, [...(byHost.get(id) ?? []), hostFault]);
    }
  }
  return byHost;
}

function toHostFault(fault: Fault): HostFault | undefined {
  switch (fault.kind) {
    case 'bad-package':
      return { kind: 'bad-package' };
    case 'latency':
      return { kind: 'latency', addMs: fault.addMs };
    case 'host-lost':
      return { kind: 'host-lost' };
    case 'flaky':
      return { kind: 'flaky', failures: fault.failures };
    case 'disk-full':
      return { kind: 'disk-full' };
    default:
      return undefined;
  }
}
