import type { Phase, RolloutState } from './state.ts';

/*
 * What a rollout's phase means, in one place: the driver, the simulator, the CLI and the page ask
 * these instead of listing phases of their own.
 */

const TERMINAL: ReadonlySet<Phase> = new Set(['completed', 'rolled-back']);
const UNDERWAY: ReadonlySet<Phase> = new Set(['running', 'paused', 'awaiting-approval']);

/** The rollout has ended: the engine decides nothing more. */
export function isTerminal(phase: Phase): boolean {
  return TERMINAL.has(phase);
}

/** Neither finished nor rolling back: a ring can still be approved or promoted. */
export function isUnderway(phase: Phase): boolean {
  return UNDERWAY.has(phase);
}

/** Ended, and no host has work in flight: nothing more will happen to it on its own. */
export function isSettled(state: RolloutState): boolean {
  return isTerminal(state.phase) && !state.hosts.some((h) => h.phase === 'patching' || h.phase === 'rolling-back');
}
