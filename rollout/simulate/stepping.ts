import { EventQueue } from './event-queue.ts';
import type { SimulatedTime } from './simulated-time.ts';
import { WaveQueue } from './wave-queue.ts';

/** How a run steps through simulated time and hands its state to the engine. */
export interface Stepping {
  /** The run keeps only the latest state, so the engine's transitions may edit it in place (ownRollout). */
  ownsState: boolean;
  queue: () => SimulatedTime;
  /** Host events go to the engine and the check runner in position order rather than as they came. */
  reportsByPosition: boolean;
}

/**
 * The reference: one heap entry per host event, and the engine's copying transitions, each a
 * pass over the host list. Exact, and slow past tens of thousands of hosts or decisions.
 */
export const HOST_BY_HOST: Stepping = { ownsState: false, queue: () => new EventQueue(), reportsByPosition: false };

/**
 * The same events, taken a wave at a time (wave-queue.ts), on a state the engine edits in place:
 * a decision and its transition cost what they change, not the fleet. The host events of a
 * consult go to the engine and the check runner in position order (their order among hosts
 * changes nothing but where in memory the next read is).
 */
export const BY_WAVES: Stepping = { ownsState: true, queue: () => new WaveQueue(), reportsByPosition: true };
