import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDebianVersions } from '../../lab/advisories/debian-version.ts';

// Small alphabets so that generated versions collide and share prefixes often: the hard cases.
const part = (chars: string) => fc.array(fc.constantFrom(...chars.split('')), { maxLength: 6 }).map((a) => a.join(''));
const version = fc
  .record({
    epoch: fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
    first: fc.constantFrom('0', '1', '2', '9'),
    upstream: part('0129a.+~Z'),
    revision: fc.option(part('01a.+~').filter((r) => r.length > 0), { nil: undefined }),
    hyphenInUpstream: fc.boolean(),
  })
  .map(({ epoch, first, upstream, revision, hyphenInUpstream }) => {
    // A hyphen belongs to the upstream version only when a revision follows (policy 5.6.12).
    const up = revision !== undefined && hyphenInUpstream ? `${first}${upstream}-1` : `${first}${upstream}`;
    return `${epoch !== undefined ? `${epoch}:` : ''}${up}${revision !== undefined ? `-${revision}` : ''}`;
  });

// Independent versions rarely share a prefix; a version and itself with a tail appended always do.
const pair = fc.oneof(
  fc.tuple(version, version),
  fc.tuple(version, part('0a.+~')).map(([v, tail]) => [v, `${v}${tail}`] as [string, string]),
  fc.tuple(version, part('0a.+~')).map(([v, tail]) => [`${v}${tail}`, v] as [string, string]),
);

/** The machine's own dpkg is the reference implementation. */
function dpkgCompare(a: string, b: string): number {
  const holds = (op: string) => {
    const result = spawnSync('dpkg', ['--compare-versions', a, op, b]);
    if (result.error) throw result.error;
    return result.status === 0;
  };
  return holds('lt') ? -1 : holds('eq') ? 0 : 1;
}

describe('Debian version ordering properties', () => {
  it('agrees with dpkg --compare-versions', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(compareDebianVersions(a, b), `${a} vs ${b}`).toBe(dpkgCompare(a, b));
      }),
      { seed: 20261207, numRuns: 250 },
    );
  });

  it('is a total order: reflexive, antisymmetric, transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(compareDebianVersions(a, a)).toBe(0);
        expect(compareDebianVersions(a, b)).toBe(-compareDebianVersions(b, a));
        const sorted = [a, b, c].sort(compareDebianVersions);
        expect(compareDebianVersions(sorted[0] as string, sorted[2] as string)).toBeLessThanOrEqual(0);
      }),
      { seed: 20261207, numRuns: 3000 },
    );
  });

  it('sorts "~" before everything, even the end of the version, and a higher epoch above any upstream', () => {
    fc.assert(
      fc.property(version, part('0129a.+Z'), (v, tail) => {
        expect(compareDebianVersions(`${v}~${tail}`, v)).toBe(-1);
        const bare = v.replace(/^\d+:/, '');
        expect(compareDebianVersions(`11:0`, bare)).toBe(1);
      }),
      { seed: 20261207, numRuns: 1000 },
    );
  });
});
