import { applyCommand, type CommandRequest } from '../engine/commands.ts';
import type { RolloutState } from '../engine/state.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { LeaseFence } from '../store/lease-store.ts';
import type { NewTransition, RolloutStore } from '../store/rollout-store.ts';

/**
 * A release manager's command, as the CLI and the web page both give it: load, apply, store with
 * the seq it was computed from, and on a concurrent write load again and retry. Commands set
 * absolute values, so a retry (or a double click) cannot do the thing twice. A driver applying a
 * command itself (the pause of a stopped driver) passes its lease's fence.
 */
export async function giveCommand(store: RolloutStore, id: string, request: CommandRequest, now: () => number = Date.now, fence?: LeaseFence): Promise<RolloutState> {
  return storeStep(store, id, request.name, (state, at) => applyCommand(state, request, at), { actor: request.actor, kind: 'command', payload: request }, now, fence);
}

/**
 * Load, apply `step`, store with the seq it was computed from, and on a concurrent write load
 * again and retry: for steps that set absolute values, so a retry cannot do the thing twice.
 */
export async function storeStep(
  store: RolloutStore,
  id: string,
  name: string,
  step: (state: RolloutState, at: number) => RolloutState,
  transition: Omit<NewTransition, 'at'>,
  now: () => number = Date.now,
  fence?: LeaseFence,
): Promise<RolloutState> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await store.loadRollout(id);
    if (!record) throw new StoreError('not-found', `no rollout ${id}`);
    const at = now();
    const after = step(record.state, at);
    if (after === record.state) return after;
    try {
      await store.recordTransition(id, { ...transition, at }, after, record.seq, fence);
      return after;
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'stale')) throw error;
    }
  }
  throw new Error(`rollout ${id} changes too fast to apply ${name}; try again`);
}
