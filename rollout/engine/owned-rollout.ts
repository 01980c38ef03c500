import { isOwned, ownList } from './owned-lists.ts';
import type { RolloutState } from './state.ts';

/**
 * A copy of the state whose host list, host objects and audit log the transitions from now on
 * edit in place, for a holder that keeps only the latest state (the simulator): every earlier
 * state of it sees the later hosts and entries. Decisions and states are the same as the copying
 * transitions give; a state already owned is returned as it is. The one copy made here is the
 * last one.
 */
export function ownRollout(state: RolloutState): RolloutState {
  if (isOwned(state.hosts) && isOwned(state.audit)) return state;
  return adoptRollout({ ...state, hosts: state.hosts.map((host) => ({ ...host })), audit: [...state.audit] });
}

/**
 * The state itself, owned from now on, without the copy: for a state nobody else holds, such as
 * one createRollout just made. A transition that fails on an owned state may leave it half
 * done; its holder stops there.
 */
export function adoptRollout(state: RolloutState): RolloutState {
  ownList(state.hosts);
  ownList(state.audit);
  return state;
}
