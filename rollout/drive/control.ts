import { applyCommand, type CommandRequest } from '../engine/commands.ts';
import type { RolloutState } from '../engine/state.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { LeaseFence } from '../store/lease-store.ts';
import type { RolloutStore } from '../store/rollout-store.ts';

/**
 * A release manager's command, as the CLI and the web page both give it: load, apply, store with
 * the seq it was computed from, and on a concurrent write load again and retry. Commands set
 * absolute values, so a retry (or a double click) cannot do the thing twice. A driver applying a
 * command itself (the pause of a stopped driver) passes its lease's fence.
 */
export async function giveCommand(store: RolloutStore, id: string, request: CommandRequest, now: () => number = Date.now, fence?: LeaseFence): Promise<RolloutState> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await store.loadRollout(id);
    if (!record) throw new StoreError('not-found', `no rollout ${id}`);
    const at = now();
    const after = applyCommand(record.state, request, at);
    if (after === record.state) return after;
    try {
      await store.recordTransition(id, { at, actor: request.actor, kind: 'command', payload: request }, after, record.seq, fence);
      return after;
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'stale')) throw error;
    }
  }
  throw new Error(`rollout ${id} changes too fast to apply ${request.name}; try again`);
}
