import type { RolloutState } from '../engine/state.ts';
import type { SimulationSettings } from './settings.ts';
import { formatDuration } from '../engine/format.ts';

/**
 * Why a plan is not simulated at all: it needs more engine decisions than the settings allow
 * (a ring patched a few hosts at a time needs one decision a wave). Null when it fits.
 */
export function overDecisionBudget(state: RolloutState, settings: SimulationSettings): string | null {
  if (settings.maxSteps === null) return null;
  const needed = state.rings.reduce((sum, r) => sum + Math.ceil(r.hostIds.length / r.concurrency), 0);
  if (needed <= settings.maxSteps) return null;
  const worst = [...state.rings].sort((a, b) => b.hostIds.length / b.concurrency - a.hostIds.length / a.concurrency)[0];
  return (
    `not simulated: the plan needs at least ${needed.toLocaleString('en')} engine decisions ` +
    `(ring ${worst?.name}: ${worst?.hostIds.length.toLocaleString('en')} hosts, ${worst?.concurrency} at a time), ` +
    `over the limit of ${settings.maxSteps.toLocaleString('en')}; at a median patch time of ${formatDuration(settings.patchMedianMs)}, ` +
    `that is about ${formatDuration(needed * settings.patchMedianMs)} of patching one wave after another`
  );
}
