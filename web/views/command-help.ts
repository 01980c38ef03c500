import type { CommandOffer } from '../../rollout/engine/commands.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';

/**
 * What a button will do to this rollout, in a line under the buttons: "Approve pilot" and
 * "Promote to pilot" sit side by side and do very different things. Pure.
 */
export function commandHelp(offer: CommandOffer, state: RolloutState, rollbackHosts: number): string {
  const current = state.rings[state.ring]?.name ?? '?';
  switch (offer.name) {
    case 'approve':
      return state.phase === 'awaiting-approval' && offer.ring === current
        ? `lets ${offer.ring} start now: its hosts are patched as soon as you approve.`
        : `signs ${offer.ring} off in advance; nothing moves now, and ${offer.ring} starts on its own once ${current} has soaked and passed its checks.`;
    case 'promote': {
      const target = state.rings.find((r) => r.name === offer.ring);
      const waits = target?.requiresApproval && !target.approval ? `; ${offer.ring} then still waits for its approval` : '';
      return `ends ${current}'s soak now and moves on to ${offer.ring}, accepting ${current}'s failures so far${waits}.`;
    }
    case 'pause':
      return 'starts no new host until resumed; the soak clock stops while paused.';
    case 'resume':
      return 'goes on where it stopped, accepting the failures it paused for.';
    case 'rollback':
      return `returns every host the patch reached (${rollbackHosts} now) to its base version and ends the rollout; you confirm first.`;
    case 'override-age':
      return `starts patching now instead of at ${state.ageWait ? new Date(state.ageWait.until).toISOString() : 'the end of the wait'}, before the updates reach the minimum age; admins only, your reason goes into the audit log.`;
  }
}
