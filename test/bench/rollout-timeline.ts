import { soakFor, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import { failingChecks, type Observation } from '../../rollout/engine/observations.ts';
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

/**
 * Why a ring's soak ended after its plan: a ring is promoted only once every host has a check
 * result since its patch, every run since passing (a failed run waits for its re-check). Names
 * the host whose first check after its patch started last, and the failed runs, in s from the
 * soak's start. When a result came back is not stored: a check that started on time may still
 * have answered late.
 */
export function soakLateness(state: RolloutState, ringIndex: number, observations: readonly Observation[], endedAt: number): string {
  const ring = state.rings[ringIndex];
  if (!ring?.soakStartedAt) return '';
  const from = ring.soakStartedAt;
  // The last ring is not promoted: the rollout completes.
  const end = ring.promotedAt ?? endedAt;
  const firsts = state.hosts
    .filter((h) => h.ring === ringIndex && h.patchedAt !== null)
    .map((h) => {
      const since = observations.filter((o) => o.hostId === h.id && o.version === h.version && o.at >= (h.patchedAt ?? 0));
      return { id: h.id, patchedAt: h.patchedAt ?? 0, first: since[0]?.at, next: since[1]?.at, failed: since.filter((o) => (failingChecks(o) ?? []).length > 0).length };
    });
  const last = [...firsts].sort((a, b) => (b.first ?? Infinity) - (a.first ?? Infinity))[0];
  if (!last) return '';
  const failed = firsts.reduce((n, h) => n + h.failed, 0);
  return (
    `          soak ended +${s(end - from)} s: last first check after a patch ${last.id}, started ` +
    `${last.first === undefined ? 'never' : `+${s(last.first - from)} s`} (patched +${s(last.patchedAt - from)} s; ` +
    // A host's checks run one after another, so its next check starts once the first has answered.
    `its next check started ${last.next === undefined ? 'never' : `+${s(last.next - from)} s`}); ` +
    `${failed} failed check run(s) since the patches`
  );
}
