import { isTerminal } from './phase.ts';
import type { RolloutState } from './state.ts';
import { withAudit } from './transitions.ts';

/** Why a host the fleet no longer has fails its patch at once: what the host's tile and the decisions say. */
export const GONE_REASON = 'the host is gone: the fleet no longer has it (removed outside patchlab), so nothing can be patched there';

/**
 * A driver found that some of the rollout's hosts are gone from its fleet (their containers were
 * removed by hand while nobody drove it): said on the timeline, once for the same hosts, with what
 * happens now, so a release manager sees why nothing moves there. Pure.
 */
export function hostsGone(state: RolloutState, hostIds: readonly string[], driver: string, now: number): RolloutState {
  if (isTerminal(state.phase) || hostIds.length === 0) return state;
  const gone = [...hostIds].sort();
  const said = `${gone.length} of ${state.hosts.length} hosts are gone from the fleet: ${gone.join(', ')}`;
  // A driver started again (serve restarted, a take-over) finds the same hosts gone: once is enough.
  if (state.audit.filter((e) => e.action === 'hosts-gone').at(-1)?.reasons[0] === said) return state;
  return withAudit(state, {
    at: now,
    actor: driver,
    action: 'hosts-gone',
    ring: state.ring,
    reasons: [
      said,
      'they were removed outside patchlab; nobody checks them any more',
      'a patch of one fails at once, and so would a resume that reaches one; a rollback ends the rollout',
    ],
    figures: { gone: gone.length, hosts: state.hosts.length },
    hosts: [],
  });
}
