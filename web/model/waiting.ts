import { waitingUntil, type UpdateAge } from '../../rollout/engine/age-wait.ts';
import { ENGINE, type RolloutState } from '../../rollout/engine/state.ts';
import { lastEntry } from './ring-history.ts';

/*
 * What a rollout waits for a person to do, if anything: nothing moves until a release manager
 * approves the ring (awaiting approval), or resumes, promotes or rolls back (paused); or for a
 * time, the minimum age of its updates, which an admin may cut short. Pure.
 */

export type Waiting =
  | { kind: 'approval'; ring: string; hosts: number; since: number }
  | { kind: 'paused'; ring: string; since: number; by: string; reason: string }
  | { kind: 'age'; ring: string; since: number; until: number; minimumAgeMs: number; young: UpdateAge[] };

export function whatWaits(state: RolloutState, now?: number): Waiting | null {
  const ring = state.rings[state.ring];
  if (!ring) return null;
  const until = now === undefined ? null : waitingUntil(state.ageWait, now);
  if (until !== null && state.ageWait && state.phase === 'running') {
    return { kind: 'age', ring: ring.name, since: state.createdAt, until, minimumAgeMs: state.ageWait.minimumAgeMs, young: state.ageWait.young };
  }
  if (state.phase === 'awaiting-approval') {
    return { kind: 'approval', ring: ring.name, hosts: ring.hostIds.length, since: lastEntry(state, 'await-approval')?.at ?? state.createdAt };
  }
  if (state.phase === 'paused' && state.paused) {
    return { kind: 'paused', ring: ring.name, since: state.paused.at, by: state.paused.by === ENGINE ? 'the engine' : state.paused.by, reason: state.paused.reason };
  }
  return null;
}
