import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEBIAN_PACKAGE } from '../../lab/config/names.ts';
import { diffVersions } from '../../lab/patches/apt-output.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { canonicalJson } from '../../lab/images/hash.ts';

const SHELL = /[\s;&|`$<>(){}\\'"*?!#~]/;

describe('patch request properties', () => {
  it('never lets a word with a shell metacharacter through as a package or version', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (word) => {
        let request;
        try {
          request = parsePatchArgs([word]);
        } catch (error) {
          expect((error as Error).message).toMatch(/^--patch: /);
          return;
        }
        for (const p of request.packages) {
          expect(p.name).toMatch(DEBIAN_PACKAGE);
          expect(p.name).not.toMatch(SHELL);
          if (p.version) expect(p.version).not.toMatch(SHELL);
        }
      }),
      { seed: 20261123, numRuns: 2000 },
    );
  });

  it('diffVersions is empty exactly when the snapshots are equal, and applying it gives the after map', () => {
    const snapshot = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constantFrom('1', '2', '3'));
    fc.assert(
      fc.property(snapshot, snapshot, (b, a) => {
        const before = new Map<string, string>(Object.entries(b));
        const after = new Map<string, string>(Object.entries(a));
        const changes = diffVersions(before, after);
        expect(changes.length === 0).toBe(canonicalJson(b) === canonicalJson(a));
        const replayed = new Map(before);
        for (const c of changes) {
          if (c.after === undefined) replayed.delete(c.name);
          else replayed.set(c.name, c.after);
        }
        expect(canonicalJson(Object.fromEntries(replayed))).toBe(canonicalJson(a));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('canonical JSON ignores key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
      { seed: 1, numRuns: 300 },
    );
  });
});
