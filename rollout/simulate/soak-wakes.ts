import type { RolloutState } from '../engine/state.ts';
import { SOAK_END } from './event-kinds.ts';
import type { RunContext } from './run-context.ts';
import { latencyWaitEndsAt, soakEndsAt, soakOver } from './soak.ts';

/**
 * What the run does around a ring's soak, whichever state the engine reads: the end of the soak
 * is an event of its own, and the latency gate's samples are drawn when the soak ends and once
 * more when the engine stops soaking on for samples it lacked.
 */
export class SoakWakes {
  /** By ring: 1 once samples were added at the end of its soak, 2 at the end of its wait for more. */
  private readonly latencySampled = new Map<number, number>();
  private readonly soakEndsPushed = new Set<number>();

  constructor(private readonly run: RunContext) {}

  /** Whether the current ring's latency samples are due now (each stage once). */
  latencySamplesDue(state: RolloutState, now: number): boolean {
    const ring = state.rings[state.ring];
    if (state.phase !== 'running' || !ring?.healthGate.latency || ring.soakStartedAt === null) return false;
    const waitEnd = latencyWaitEndsAt(ring, this.run.policy)!;
    const stage = now >= waitEnd ? 2 : soakOver(ring, this.run.policy, now) ? 1 : 0;
    if (stage <= (this.latencySampled.get(state.ring) ?? 0)) return false;
    this.latencySampled.set(state.ring, stage);
    return true;
  }

  /** The end of the soak is an event of its own: the engine may promote then, with no check arriving. */
  scheduleSoakEnd(now: number): void {
    const state = this.run.state;
    const ring = state.rings[state.ring];
    if (state.phase !== 'running' || !ring) return;
    const end = soakEndsAt(ring, this.run.policy);
    if (end === null) return;
    // Still in this ring with its soak over and a latency gate: the engine soaks on for samples.
    const waiting = ring.healthGate.latency && end <= now;
    this.pushSoakEnd(waiting ? latencyWaitEndsAt(ring, this.run.policy)! : end, now, state.ring);
  }

  private pushSoakEnd(at: number, now: number, ring: number): void {
    if (at <= now || this.soakEndsPushed.has(at)) return;
    this.soakEndsPushed.add(at);
    this.run.queue.push(at, SOAK_END, ring);
  }
}
