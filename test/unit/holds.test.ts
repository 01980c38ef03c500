import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeHeld, holdOf, refuseHeldInPlan, withoutHeld, type Hold } from '../../lab/holds/holds.ts';

const hold = (pattern: string, by = 'alice', reason = 'waits for the fix'): Hold => ({ pattern, by, reason, at: 0, source: 'store' });

describe('holds', () => {
  it('leaves held updates out of a patch, each with who held it and why, and keeps the rest', () => {
    const { selected, held } = withoutHeld(
      { packages: [{ name: 'linux-image-6.1.0-28-amd64', version: '6.1.119-1' }, { name: 'openssl', version: '3.0.15-1~deb12u1' }, { name: 'tzdata', version: '2025b-0+deb12u1' }], debs: ['/cache/local/x.deb'] },
      [hold('linux-image-*', 'bob', 'kernel goes in the March window'), hold('tzdata')],
    );
    expect(selected).toEqual({ packages: [{ name: 'openssl', version: '3.0.15-1~deb12u1' }], debs: ['/cache/local/x.deb'] });
    expect(held.map(describeHeld)).toEqual(['linux-image-6.1.0-28-amd64 6.1.119-1 (held by bob: kernel goes in the March window)', 'tzdata 2025b-0+deb12u1 (held by alice: waits for the fix)']);
  });

  it('refuses a plan in which apt still pulls in a held package, naming it and the hold', () => {
    expect(() => refuseHeldInPlan([{ name: 'libssl3' }, { name: 'openssl' }], [hold('libssl*')])).toThrow(
      'the patch needs held package(s) libssl3 (held by alice: waits for the fix): leave out what depends on them, or lift the hold',
    );
    expect(() => refuseHeldInPlan([{ name: 'openssl' }], [hold('libssl*')])).not.toThrow();
  });

  it('never lets a held package through, whatever the names and holds', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,20}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 12 }), fc.array(name, { maxLength: 4 }), (names, patterns) => {
        const holds = patterns.map((p) => hold(p));
        const { selected, held } = withoutHeld({ packages: names.map((n) => ({ name: n, version: '1' })), debs: [] }, holds);
        expect(selected.packages.every((p) => holdOf(p.name, holds) === undefined)).toBe(true);
        expect(selected.packages.length + held.length).toBe(names.length);
        expect(held.every((h) => patterns.includes(h.name) || holdOf(h.name, holds) !== undefined)).toBe(true);
      }),
    );
  });
});
