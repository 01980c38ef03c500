import { describeLatency } from '../engine/explain.ts';
import { formatDuration, plural } from '../engine/format.ts';
import { mayJudgeLater } from '../engine/latency-gate.ts';
import { LATENCY_SOAK_EXTENSION, soakFor, type RolloutPolicy } from '../engine/policy.ts';
import type { RolloutState } from '../engine/state.ts';
import type { CheckColumns } from './check-columns.ts';
import { LeftFastPath, type HostColumns } from './host-columns.ts';

/** What the engine decides on the fast path; a hold changes nothing, so its reasons are not kept. */
export type ColumnDecision =
  | { action: 'hold' }
  | { action: 'patch-hosts'; count: number }
  | { action: 'promote' | 'complete'; reasons: string[] };

const HOLD: ColumnDecision = { action: 'hold' };

/**
 * The engine's decide (engine.ts) for a running rollout in which no host failed or is suspect,
 * read from counts: every ring's health is its patched and unobserved hosts, the pending hosts of
 * a ring are the rest of its range. The same conditions in the same order, and the same sentences
 * where the run keeps them (promote, complete); whatever the fast path does not model leaves it.
 */
export function decideFromColumns(state: RolloutState, hosts: HostColumns, checks: CheckColumns, now: number, policy: RolloutPolicy): ColumnDecision {
  if (state.phase !== 'running') throw new LeftFastPath(`the rollout is ${state.phase}`);
  const ring = state.rings[state.ring]!;
  if (ring.startedAt === null && ring.requiresApproval && !ring.approval) throw new LeftFastPath(`ring ${ring.name} awaits approval`);
  const pending = hosts.pendingOf(state.ring);
  const slots = ring.concurrency - hosts.patching;
  if (pending > 0 && slots <= 0) return HOLD;
  if (pending > 0) return { action: 'patch-hosts', count: Math.min(slots, pending) };
  if (hosts.patching > 0) return HOLD;
  for (let r = 0; r <= state.ring; r++) if (hosts.unobserved[r]! > 0) return HOLD;
  if (ring.soakStartedAt === null) throw new LeftFastPath(`ring ${ring.name} is fully patched but its soak never started`);
  const soak = soakFor(ring, policy);
  const soaked = now - ring.soakStartedAt - ring.pausedDuringSoakMs;
  if (soaked < soak) return HOLD;

  const latency = ring.healthGate.latency ? checks.ringLatency(hosts, state.ring, ring.startedAt ?? Number.POSITIVE_INFINITY, policy.latency) : null;
  const unjudged = latency !== null && (latency.tooFewSamples.length > 0 || latency.compared.length === 0);
  const laterPending = state.rings.some((_, r) => r > state.ring && hosts.pendingOf(r) > 0);
  const hopeless = unjudged && !mayJudgeLater(latency, policy.latency, laterPending);
  if (unjudged && !hopeless && soaked < soak * LATENCY_SOAK_EXTENSION) return HOLD;
  if (latency?.regressed) throw new LeftFastPath(`ring ${ring.name}: latency regressed`);

  const size = ring.hostIds.length;
  // No host failed and none is unobserved: every patched host of the ring passes.
  const passing = hosts.patched[state.ring]!;
  const reasons = [
    `ring ${ring.name} soaked ${formatDuration(soaked)} with ${passing} of ${plural(size, 'host')} passing`,
    ...(latency ? describeLatency(latency) : [`ring ${ring.name} is not judged on latency`]),
    ...(hopeless ? [`ring ${ring.name}: no host is left on its old version to give the latency gate baseline samples`] : []),
  ];
  const next = state.rings[state.ring + 1];
  if (!next) return { action: 'complete', reasons: [...reasons, 'every ring is patched'] };
  return { action: 'promote', reasons: [...reasons, `promoting to ring ${next.name}`] };
}
