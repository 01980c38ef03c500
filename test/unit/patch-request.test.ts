import { describe, expect, it } from 'vitest';
import { parsePatchArgs, selectPatch, type CandidatePatch } from '../../lab/patches/request.ts';

const candidates: CandidatePatch[] = [
  { name: 'apt', installed: '2.6.1', candidate: '2.6.2', suite: 'bookworm-security', origin: 'Debian-Security', security: true },
  { name: 'tzdata', installed: '2026b', candidate: '2026f', suite: 'bookworm-updates', origin: 'Debian:12-updates', security: false },
];

describe('patch requests', () => {
  it('selects every security update for "security" and everything for "all"', () => {
    expect(selectPatch(parsePatchArgs(['security']), candidates, 'web').packages).toEqual([{ name: 'apt', version: '2.6.2' }]);
    expect(selectPatch(parsePatchArgs(['all']), candidates, 'web').packages.map((p) => p.name)).toEqual(['apt', 'tzdata']);
  });

  it('takes named packages, comma separated, with an optional exact version', () => {
    const request = parsePatchArgs(['tzdata,apt=2.6.2']);
    expect(request.packages).toEqual([{ name: 'tzdata' }, { name: 'apt', version: '2.6.2' }]);
    expect(selectPatch(request, candidates, 'web').packages).toEqual([
      { name: 'apt', version: '2.6.2' },
      { name: 'tzdata', version: '2026f' },
    ]);
  });

  it('refuses an unknown package and lists what is upgradable', () => {
    expect(() => selectPatch(parsePatchArgs(['openssl']), candidates, 'web')).toThrow(
      '--patch: package openssl has no pending update on image web (upgradable: apt, tzdata)',
    );
  });

  it('refuses shell metacharacters, naming the option and the expected form', () => {
    expect(() => parsePatchArgs(['nginx;rm -rf /'])).toThrow(/--patch: "nginx;rm -rf \/" is not a Debian package name \(expected lower case/);
    expect(() => parsePatchArgs(['apt=$(reboot)'])).toThrow(/is not a Debian version/);
    expect(() => parsePatchArgs([''])).toThrow(/got nothing/);
  });

  it('refuses a .deb that does not exist', () => {
    expect(() => parsePatchArgs(['/nowhere/fix.deb'])).toThrow(/"\/nowhere\/fix.deb" is not a readable .deb file/);
  });
});
