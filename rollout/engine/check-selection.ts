import type { RolloutState } from './state.ts';

/**
 * The hosts worth a round of checks: every host the patch has reached (their health is what the
 * engine judges), and, while the current ring is judged on latency, as many unpatched hosts as
 * the ring has, for the baseline. Checking every unpatched host as well would judge nothing
 * more and, on a machine with few cores, slow the patching the checks are waiting for. Pure.
 */
export function hostsToCheck(state: RolloutState): string[] {
  const reached = state.hosts.filter((h) => h.phase !== 'pending').map((h) => h.id);
  const ring = state.rings[state.ring];
  if (!ring?.healthGate.latency || state.phase === 'completed' || state.phase === 'rolled-back') return reached;
  // Hosts of later rings first: they stay unpatched through the whole soak of this one.
  const pending = state.hosts.filter((h) => h.phase === 'pending').sort((a, b) => b.ring - a.ring || a.id.localeCompare(b.id));
  return [...reached, ...pending.slice(0, ring.hostIds.length).map((h) => h.id)];
}
