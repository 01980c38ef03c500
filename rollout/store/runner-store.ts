import type { RunnerStore } from '../drive/runner.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import type { LeaseFence } from './lease-store.ts';
import { type Store } from './store.ts';

/**
 * The runner's view of the store: a stale write (someone else wrote first) is a "try again", not
 * an error; a fenced one (another driver took the rollout over) is, and stops the runner.
 */
export function runnerStore(store: Store, fence?: LeaseFence): RunnerStore {
  return {
    async current(id) {
      const record = await store.loadRollout(id);
      if (!record) throw new StoreError('not-found', `no rollout ${id} in the store`);
      return { state: record.state, seq: record.seq };
    },
    async commit(id, step, after, expectedSeq) {
      try {
        await store.recordTransition(id, step, after, expectedSeq, fence);
        return true;
      } catch (error) {
        if (error instanceof StoreError && error.code === 'stale') return false;
        throw error;
      }
    },
  };
}
