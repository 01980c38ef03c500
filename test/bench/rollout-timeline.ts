import { soakFor, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';

/** Where one ring's time went, in ms, read from the stored state the rollout ended with. */
export interface RingTimes {
  name: string;
  waves: number;
  /** From the decision that ended the previous ring (or the rollout's first decision) to this ring's first patch. */
  gap: number;
  /** First patch started to last host patched: the ring's waves. */
  patching: number;
  /** Each host's patch, from its decision to its result being stored. */
  hostPatch: number[];
  /** Last host patched to the ring's promotion (or completion): the soak and the judging. */
  soaking: number;
  soak: number;
}

/** Waves a ring needs at its concurrency. */
export const wavesOf = (hosts: number, concurrency: number) => Math.ceil(hosts / Math.max(1, concurrency));

export function ringTimes(state: RolloutState, policy: RolloutPolicy, endedAt: number, startedAt: number): RingTimes[] {
  let previousEnd = startedAt;
  return state.rings.map((ring) => {
    const hosts = state.hosts.filter((h) => h.ring === state.rings.indexOf(ring));
    const first = ring.startedAt ?? previousEnd;
    const soakStart = ring.soakStartedAt ?? first;
    const end = ring.promotedAt ?? endedAt;
    const times: RingTimes = {
      name: ring.name,
      waves: wavesOf(ring.hostIds.length, ring.concurrency),
      gap: first - previousEnd,
      patching: soakStart - first,
      hostPatch: hosts.map((h) => (h.patchedAt ?? 0) - (h.patchStartedAt ?? 0)),
      soaking: end - soakStart,
      soak: soakFor(ring, policy),
    };
    previousEnd = end;
    return times;
  });
}

const s = (ms: number) => (ms / 1000).toFixed(1);

/** One line per ring: how long its waves took against its waves of apt alone, and its soak against the plan's. */
export function describeRing(t: RingTimes, aptMs: number): string {
  const median = [...t.hostPatch].sort((a, b) => a - b)[t.hostPatch.length >> 1] ?? 0;
  return (
    `  ${t.name.padEnd(7)} gap ${s(t.gap)} s | ${t.waves} wave(s) ${s(t.patching)} s (floor ${s(t.waves * aptMs)} s, ` +
    `median host patch ${s(median)} s) | soak ${s(t.soaking)} s (planned ${s(t.soak)} s)`
  );
}
