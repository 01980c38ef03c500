import { waitingUntil, type UpdateAge } from '../../rollout/engine/age-wait.ts';
import { isTerminal } from '../../rollout/engine/phase.ts';
import { ENGINE, type RolloutState } from '../../rollout/engine/state.ts';
import { lastEntry } from './ring-history.ts';

/*
 * What a rollout waits for a person to do, if anything: nothing moves until a release manager
 * approves the ring (awaiting approval), or resumes, promotes or rolls back (paused); or for a
 * time, the minimum age of its updates, which an admin may cut short; or for a machine: host
 * steps queued for a Docker engine no live worker is on, which only starting one there ends. Pure.
 */

/** Host steps of the rollout queued for an engine no live worker is on (rollout/fleets/jobs/worker-waits.ts finds them). */
export interface EngineWait {
  engine: string;
  since: number;
  hosts: readonly string[];
}

export type Waiting =
  | { kind: 'approval'; ring: string; hosts: number; since: number }
  | { kind: 'paused'; ring: string; since: number; by: string; reason: string }
  | { kind: 'age'; ring: string; since: number; until: number; minimumAgeMs: number; young: UpdateAge[] }
  | { kind: 'worker'; ring: string; since: number; engines: readonly EngineWait[] };

/** `engines`: the rollout's waits for workers, oldest first; a person's wait is said first, as only a person ends it. */
export function whatWaits(state: RolloutState, now?: number, engines: readonly EngineWait[] = []): Waiting | null {
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
  if (engines.length > 0 && !isTerminal(state.phase)) return { kind: 'worker', ring: ring.name, since: Math.min(...engines.map((e) => e.since)), engines };
  return null;
}
