import { describe, expect, it } from 'vitest';
import type { SightingStore } from '../../lab/sightings/sighting-store.ts';
import { freshStoreEach, type StoreHarness } from './harness.ts';

type Store = SightingStore & { close(): Promise<void> };

/** First sightings of updates: what every implementation keeps and gives back. */
export function sightingStoreContract(harness: StoreHarness<Store>): void {
  const current = freshStoreEach(harness);

  describe('update sightings', () => {
    it('keeps the earliest sighting of each package version, whatever order they are noted in, and gives back only those seen', async () => {
      await current().noteSightings([{ name: 'tzdata', version: '2025b-0+deb12u2' }, { name: 'perl-base', version: '5.36.0-7+deb12u3' }], 5_000, 'schedule nightly');
      await current().noteSightings([{ name: 'tzdata', version: '2025b-0+deb12u2' }], 9_000, 'rollout r1');
      await current().noteSightings([{ name: 'perl-base', version: '5.36.0-7+deb12u3' }], 1_000, 'scan of web-01');
      // Another version of the same package is another update, with an age of its own.
      await current().noteSightings([{ name: 'tzdata', version: '2026a-0+deb12u1' }, { name: 'tzdata', version: '2026a-0+deb12u1' }], 7_000, 'rollout r2');
      const asked = [
        { name: 'tzdata', version: '2026a-0+deb12u1' },
        { name: 'perl-base', version: '5.36.0-7+deb12u3' },
        { name: 'nginx', version: '1.22.1-9+deb12u3' },
        { name: 'tzdata', version: '2025b-0+deb12u2' },
      ];
      expect(await current().firstSightings(asked)).toEqual([
        { name: 'tzdata', version: '2026a-0+deb12u1', firstSeenAt: 7_000, seenBy: 'rollout r2' },
        { name: 'perl-base', version: '5.36.0-7+deb12u3', firstSeenAt: 1_000, seenBy: 'scan of web-01' },
        { name: 'tzdata', version: '2025b-0+deb12u2', firstSeenAt: 5_000, seenBy: 'schedule nightly' },
      ]);
      expect(await current().firstSightings([])).toEqual([]);
    });
  });
}
