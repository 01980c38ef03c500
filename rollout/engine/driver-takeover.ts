import { isTerminal } from './phase.ts';
import { withAudit } from './transitions.ts';
import type { RolloutState } from './state.ts';

/**
 * A driver begins driving a rollout another driver drove before: recorded in the state, so the
 * engine stops counting the time nobody drove (and so nobody checked) against the hosts, and in
 * the audit log, so the timeline says who took over and when. Recorded once per start: a second
 * call at the same time or earlier changes nothing.
 */
export function takeOver(state: RolloutState, driver: string, now: number): RolloutState {
  if (isTerminal(state.phase)) return state;
  const last = state.takeOvers?.at(-1);
  if (last !== undefined && last >= now) return state;
  const takeOvers = [...(state.takeOvers ?? []), now];
  return withAudit(
    { ...state, takeOvers },
    {
      at: now,
      actor: driver,
      action: 'take-over',
      ring: state.ring,
      reasons: [
        `driver ${driver} took over at ${new Date(now).toISOString()}`,
        'check timeouts count from now: nobody checked the hosts while no driver ran',
      ],
      figures: { takeOvers: takeOvers.length },
      hosts: [],
    },
  );
}
