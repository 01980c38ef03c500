import type { Notification } from '../../lab/notify/notification.ts';
import type { Phase, RolloutState } from '../engine/state.ts';

/**
 * What a change of phase tells people who are not watching the page, or null when it tells them
 * nothing (running again, rolling back, which the rolled-back one follows). The reasons are the
 * audit log's own. Pure.
 */
export function rolloutNotification(state: RolloutState, previous: Phase, at: number): Notification | null {
  const ring = state.rings[state.ring]?.name ?? '';
  const patch = `${state.patch.name} ${state.patch.version}`;
  const last = (action: string) => [...state.audit].reverse().find((e) => e.action === action);
  const base = { subject: state.id, at: new Date(at).toISOString() };
  const details = { rollout: state.id, phase: state.phase, previous, ring, patch: state.patch };
  switch (state.phase) {
    case 'awaiting-approval':
      return { ...base, kind: 'rollout.awaiting-approval', text: `rollout ${state.id} (${patch}) waits for a release manager to approve ring ${ring}`, details };
    case 'paused': {
      const by = state.paused?.by ?? 'someone';
      const why = state.paused?.reason ?? '';
      return { ...base, kind: 'rollout.paused', text: `rollout ${state.id} (${patch}) paused in ring ${ring} by ${by}: ${why}`, details: { ...details, by, reason: why } };
    }
    case 'rolled-back': {
      const order = last('rollback');
      const restored = state.hosts.filter((h) => h.phase === 'rolled-back').length;
      const why = order?.reasons.join('; ') ?? '';
      return {
        ...base,
        kind: 'rollout.rolled-back',
        text: `rollout ${state.id} (${patch}) rolled back in ring ${ring}: ${restored} host(s) back on their versions; ${order?.actor ?? 'engine'}: ${why}`,
        details: { ...details, restored, by: order?.actor ?? null, reasons: order?.reasons ?? [] },
      };
    }
    case 'completed':
      return { ...base, kind: 'rollout.completed', text: `rollout ${state.id} completed: ${patch} on ${state.hosts.length} host(s)`, details: { ...details, hosts: state.hosts.length } };
    default:
      return null;
  }
}
