import { isOwned, ownList } from './owned-lists.ts';
import type { RolloutState } from './state.ts';

/**
 * A copy of the state whose host list and audit log the transitions from now on edit in place,
 * for a holder that keeps only the latest state (the simulator): every earlier state of it sees
 * the later hosts and entries. Decisions and states are the same as the copying transitions give;
 * a state already owned is returned as it is. The one copy made here is the last one.
 */
export function ownRollout(state: RolloutState): RolloutState {
  if (isOwned(state.hosts) && isOwned(state.audit)) return state;
  const hosts = [...state.hosts];
  const audit = [...state.audit];
  ownList(hosts);
  ownList(audit);
  return { ...state, hosts, audit };
}
