import { ENGINE, type RolloutState } from '../../rollout/engine/state.ts';
import { lastEntry } from './ring-history.ts';

/*
 * What a rollout waits for a person to do, if anything: nothing moves until a release manager
 * approves the ring (awaiting approval), or resumes, promotes or rolls back (paused). Pure.
 */

export type Waiting =
  | { kind: 'approval'; ring: string; hosts: number; since: number }
  | { kind: 'paused'; ring: string; since: number; by: string; reason: string };

export function whatWaits(state: RolloutState): Waiting | null {
  const ring = state.rings[state.ring];
  if (!ring) return null;
  if (state.phase === 'awaiting-approval') {
    return { kind: 'approval', ring: ring.name, hosts: ring.hostIds.length, since: lastEntry(state, 'await-approval')?.at ?? state.createdAt };
  }
  if (state.phase === 'paused' && state.paused) {
    return { kind: 'paused', ring: ring.name, since: state.paused.at, by: state.paused.by === ENGINE ? 'the engine' : state.paused.by, reason: state.paused.reason };
  }
  return null;
}
