import { countVerdict, emptyRingHealth, finishRingHealth, judgeHost, type RingHealth } from './host-verdict.ts';
import { ObservationLog } from './observation-log.ts';
import type { ObservationIndex } from './observations.ts';
import type { RolloutPolicy } from './policy.ts';
import { ringHealthFromLog } from './ring-health-memo.ts';
import { hostsOfRing, type RolloutState } from './state.ts';

/** How a ring is doing: each patched host judged (see host-verdict.ts), then counted against the ring's budget. */
export function ringHealth(state: RolloutState, ring: number, history: ObservationIndex, now: number, policy: RolloutPolicy): RingHealth {
  const spec = state.rings[ring];
  if (!spec) throw new Error(`rollout ${state.id} has no ring ${ring}`);
  // A log kept for the whole rollout says which hosts changed since the last decision: only those are judged again.
  if (history instanceof ObservationLog) return ringHealthFromLog(state, ring, history, now, policy);
  const health = emptyRingHealth(spec, ring);
  for (const host of hostsOfRing(state, ring)) {
    if (host.phase !== 'healthy' && host.phase !== 'failed') continue;
    countVerdict(health, host, judgeHost(host, history.get(host.id) ?? [], state.patch.version, now, policy, state.takeOvers));
  }
  return finishRingHealth(health);
}

