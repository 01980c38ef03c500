import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { drawnOrder, repeatedIds } from '../../rollout/engine/draw-order.ts';

/*
 * The draw order and the repeated ids are worked out the cheap way (the seed's hash once, repeats
 * found among equal hashes); they must be what the plain definitions give: FNV-1a over seed, NUL
 * and id, ties by id then as listed, and a set of the ids seen.
 */

function fnv(text: string, start = 0x811c9dc5): number {
  let hash = start;
  for (const ch of text) hash = Math.imul(hash ^ ch.codePointAt(0)!, 0x01000193);
  return hash;
}

function referenceOrder(hosts: readonly { id: string }[], seed: string): { id: string }[] {
  const key = (id: string) => fnv(id, Math.imul(fnv(seed) ^ 0, 0x01000193)) >>> 0;
  return hosts
    .map((host, i) => ({ host, i, key: key(host.id) }))
    .sort((a, b) => a.key - b.key || (a.host.id < b.host.id ? -1 : a.host.id > b.host.id ? 1 : a.i - b.i))
    .map((d) => d.host);
}

function referenceRepeats(hosts: readonly { id: string }[]): string[] {
  const seen = new Set<string>();
  return [...new Set(hosts.filter((h) => seen.size === seen.add(h.id).size).map((h) => h.id))];
}

// Few letters, so that ids repeat; surrogate pairs, which the hash reads as one code point.
const id = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', '-', '1'), minLength: 0, maxLength: 4 });

describe('draw order', () => {
  it('is the plain definition: hash of seed and id, ties by id then as listed; repeated ids by their second listing', () => {
    fc.assert(
      fc.property(fc.array(id, { maxLength: 60 }), fc.string({ maxLength: 5 }), (ids, seed) => {
        const hosts = ids.map((hostId, n) => ({ id: hostId, n }));
        assert.deepEqual(repeatedIds(hosts, seed), referenceRepeats(hosts));
        assert.deepEqual(drawnOrder(hosts, seed), referenceOrder(hosts, seed));
        // A second seed on the same list: the repeats are remembered, the order is its own.
        assert.deepEqual(drawnOrder(hosts, `${seed}x`), referenceOrder(hosts, `${seed}x`));
        assert.deepEqual(repeatedIds(hosts, `${seed}x`), referenceRepeats(hosts));
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});
