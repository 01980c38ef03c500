import { describe, expect, it } from 'vitest';
import { compareDebianVersions, parseDebianVersion } from '../../lab/advisories/debian-version.ts';

describe('Debian version ordering (policy 5.6.12)', () => {
  // Each pair: the first sorts strictly before the second.
  const ordered: [string, string][] = [
    ['1.0~rc1', '1.0'],
    ['1.0~~', '1.0~'],
    ['1.0~', '1.0'],
    ['1.0', '1.0a'],
    ['1.0', '1.0.1'],
    ['1.0a', '1.0+'],
    ['1.0.9', '1.0.10'],
    ['1.0-1', '1.0-1+deb12u1'],
    ['1.0-1+deb12u1', '1.0-1+deb12u2'],
    ['3.0.18-1~deb12u2', '3.0.19-1~deb12u1'],
    ['3.0.19-1~deb12u1', '3.0.19-1'],
    ['2.36-9+deb12u9', '2.36-9+deb12u10'],
    ['5.36.0-7+deb12u3', '5.36.0-7+deb12u4'],
    ['2026b-0+deb12u1', '2026f-0+deb12u1'],
    ['9:1.0', '1:0.1'.replace('1:', '10:')],
    ['99.9', '1:0.1'],
    ['1.2-3', '1.2-3.1'],
    ['1.2-3', '1.2-10'],
    ['1.2-3', '1.2+b1-1'],
    ['20.10.24+dfsg1-1', '20.10.24+dfsg1-1+deb12u1'],
  ];
  for (const [a, b] of ordered) {
    it(`${a} < ${b}`, () => {
      expect(compareDebianVersions(a, b)).toBe(-1);
      expect(compareDebianVersions(b, a)).toBe(1);
    });
  }

  it('orders versions that differ only in leading zeros, a missing revision or a 0 epoch as equal', () => {
    expect(compareDebianVersions('1.01', '1.1')).toBe(0);
    expect(compareDebianVersions('1.0', '1.0-0')).toBe(0);
    expect(compareDebianVersions('0:1.0-1', '1.0-1')).toBe(0);
  });

  it('splits epoch, upstream (which may hold hyphens and colons) and revision', () => {
    expect(parseDebianVersion('1:2.36-9+deb12u4')).toEqual({ epoch: 1, upstream: '2.36', revision: '9+deb12u4' });
    expect(parseDebianVersion('2:1.0-rc-2-1')).toEqual({ epoch: 2, upstream: '1.0-rc-2', revision: '1' });
    expect(parseDebianVersion('1:2:3')).toEqual({ epoch: 1, upstream: '2:3', revision: '' });
  });

  it('refuses malformed versions, naming where, what and what was expected', () => {
    const bad: [string, RegExp][] = [
      ['', /is empty/],
      ['a1.0', /must start with a digit/],
      ['x:1.0', /epoch .* must be a number/],
      ['1:', /nothing after the epoch/],
      ['1.0-', /revision .* is empty/],
      ['1.0 1', /white space/],
      ['1.0_1', /only letters, digits and \. \+ ~ - :/],
      ['1.0-1:2', /epoch .* must be a number|revision may hold only/],
    ];
    for (const [version, why] of bad) {
      expect(() => parseDebianVersion(version, 'changelog line 3')).toThrow(why);
      expect(() => parseDebianVersion(version, 'changelog line 3')).toThrow(/^changelog line 3: .* is not a Debian version \(policy 5\.6\.12/);
    }
  });
});
