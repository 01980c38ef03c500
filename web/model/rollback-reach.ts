import { mayRunNewVersion, type RolloutState } from '../../rollout/engine/state.ts';

/** The hosts a rollback would touch now, ring by ring: what the confirmation names. Pure. */
export interface RollbackReach {
  hosts: number;
  byRing: { ring: string; hosts: number }[];
}

export function rollbackReach(state: RolloutState): RollbackReach {
  const byRing = state.rings
    .map((ring, index) => ({ ring: ring.name, hosts: state.hosts.filter((h) => h.ring === index && mayRunNewVersion(h)).length }))
    .filter((r) => r.hosts > 0);
  return { hosts: byRing.reduce((sum, r) => sum + r.hosts, 0), byRing };
}
