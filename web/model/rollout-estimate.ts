import { isUnderway } from '../../rollout/engine/phase.ts';
import { soakFor, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { soakOf } from './rollout-view.ts';

/*
 * When an underway rollout might end, from what is left: the current ring's soak, every later
 * ring's soak, and the waves of patching (hosts left ÷ concurrency, ring by ring) at the pace the
 * patched hosts so far took. An estimate, and labelled so: it cannot know how long an approval
 * takes, and a latency gate short of samples soaks longer. Pure.
 */

export interface Estimate {
  endsAt: number;
  leftMs: number;
  soakLeftMs: number;
  wavesLeft: number;
  /** Mean time a host took to patch so far; null before the first one finished. */
  waveMs: number | null;
  /** Rings still to approve: their wait is not in the estimate. */
  approvals: string[];
  /** Paused: the estimate holds if resumed now. */
  paused: boolean;
}

export function estimateEnd(state: RolloutState, policy: RolloutPolicy, now: number): Estimate | null {
  if (!isUnderway(state.phase)) return null;
  const timed = state.hosts.filter((h) => h.patchStartedAt !== null && h.patchedAt !== null);
  const waveMs = timed.length === 0 ? null : timed.reduce((sum, h) => sum + (h.patchedAt! - h.patchStartedAt!), 0) / timed.length;
  let soakLeftMs = 0;
  let wavesLeft = 0;
  state.rings.forEach((ring, index) => {
    if (index < state.ring) return;
    const hosts = state.hosts.filter((h) => h.ring === index);
    const unpatched = hosts.filter((h) => h.phase === 'pending' || h.phase === 'patching').length;
    wavesLeft += Math.ceil(unpatched / Math.max(1, ring.concurrency));
    const current = index === state.ring ? soakOf(state, policy, now) : null;
    soakLeftMs += current ? current.leftMs : soakFor(ring, policy);
  });
  const leftMs = soakLeftMs + wavesLeft * (waveMs ?? 0);
  const approvals = state.rings.filter((r, i) => i >= state.ring && r.requiresApproval && !r.approval).map((r) => r.name);
  return { endsAt: now + leftMs, leftMs, soakLeftMs, wavesLeft, waveMs, approvals, paused: state.phase === 'paused' };
}
