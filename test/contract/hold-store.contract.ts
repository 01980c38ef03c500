import { describe, expect, it } from 'vitest';
import type { HoldStore } from '../../lab/holds/hold-store.ts';
import { freshEach, type StoreHarness, type TestDatabase } from './harness.ts';

type Store = HoldStore & { close(): Promise<void> };

/** Holds and their record: what every implementation keeps and gives back. */
export function holdStoreContract(harness: StoreHarness<Store>): void {
  let store: Store;
  let db: TestDatabase<Store>;

  freshEach(
    harness,
    (s, d) => {
      store = s;
      db = d;
    },
    () => store,
  );

  describe('holds', () => {
    it('keeps holds by pattern, replaces a hold set again, lifts one, and records every change with who and why', async () => {
      await store.addHold({ pattern: 'tzdata', reason: 'waits for the DST fix', by: 'alice', at: 1 });
      await store.addHold({ pattern: 'linux-image-*', reason: 'kernel goes in the March window', by: 'bob', at: 2 });
      await store.addHold({ pattern: 'tzdata', reason: 'still waiting', by: 'carol', at: 3 });
      expect(await store.listHolds()).toEqual([
        { pattern: 'linux-image-*', reason: 'kernel goes in the March window', by: 'bob', at: 2, source: 'store' },
        { pattern: 'tzdata', reason: 'still waiting', by: 'carol', at: 3, source: 'store' },
      ]);
      expect(await store.liftHold('tzdata', 'alice', 'fix is out', 4)).toBe(true);
      expect(await store.liftHold('tzdata', 'alice', 'again', 5)).toBe(false);
      expect((await store.listHolds()).map((h) => h.pattern)).toEqual(['linux-image-*']);
      expect(await store.holdEvents()).toEqual([
        { pattern: 'tzdata', action: 'hold', by: 'alice', reason: 'waits for the DST fix', at: 1 },
        { pattern: 'linux-image-*', action: 'hold', by: 'bob', reason: 'kernel goes in the March window', at: 2 },
        { pattern: 'tzdata', action: 'hold', by: 'carol', reason: 'still waiting', at: 3 },
        { pattern: 'tzdata', action: 'lift', by: 'alice', reason: 'fix is out', at: 4 },
      ]);
    });
  });
}
