import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdvisories } from '../../lab/advisories/read-advisories.ts';
import { readDebIdentity, readDocChangelog } from '../../lab/advisories/deb-changelog.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';

const entry = (source: string, version: string, dist: string, urgency: string, lines: string[]) =>
  [`${source} (${version}) ${dist}; urgency=${urgency}`, '', ...lines.map((l) => `  * ${l}`), '', ' -- Security Team <security-team@example.org>  Tue, 01 Dec 2026 10:00:00 +0000', ''].join('\n');

const fooChangelog = [
  entry('foo', '1.2-3+deb12u2', 'bookworm-security', 'high', ['Fix CVE-2026-10001 and CVE-2026-10002 (DSA-6001-1).', 'Closes: #1100001, #1100002']),
  entry('foo', '1.2-3+deb12u1', 'bookworm-security', 'medium', ['Fix CVE-2026-09999.']),
  entry('foo', '1.2-3', 'unstable', 'low', ['Fix CVE-2025-00001, already installed.', 'Closes: #999']),
].join('\n');

describe('advisories from real .debs (built with dpkg-deb)', () => {
  let dir: string;
  const file = (name: string, version: string) => join(dir, `${name}_${version}_all.deb`);
  const locate = async (name: string, version: string) => (existsSync(file(name, version)) ? file(name, version) : undefined);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'patchlab-advisories-'));
    const version = '1.2-3+deb12u2';
    // foo-common carries the changelog; libfoo1's doc folder links to it, as dh_installdocs --link-doc makes it.
    buildDeb({ name: 'foo-common', version, source: 'foo', description: 'holds the doc folder', files: [], changelog: fooChangelog }, dir);
    buildDeb({ name: 'libfoo1', version, source: 'foo', description: 'links its doc folder', files: [], links: [{ path: '/usr/share/doc/libfoo1', target: 'foo-common' }] }, dir);
    buildDeb({ name: 'libfoo-extra', version, source: 'foo', description: 'an absolute link', files: [], links: [{ path: '/usr/share/doc/libfoo-extra', target: '/usr/share/doc/foo-common' }] }, dir);
    buildDeb({ name: 'bar', version: '2.0-1', description: 'ships no changelog', files: [{ path: '/usr/share/bar/README', content: 'bar\n' }] }, dir);
    buildDeb({ name: 'baz', version: '3.0-1', description: 'links to a package not cached', files: [], links: [{ path: '/usr/share/doc/baz', target: 'baz-data' }] }, dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads identity and the doc folder of a .deb', async () => {
    expect(await readDebIdentity(file('libfoo1', '1.2-3+deb12u2'))).toEqual({ package: 'libfoo1', version: '1.2-3+deb12u2', source: 'foo', sourceVersion: '1.2-3+deb12u2' });
    expect(await readDebIdentity(file('bar', '2.0-1'))).toMatchObject({ source: 'bar', sourceVersion: '2.0-1' });
    expect(await readDocChangelog(file('libfoo1', '1.2-3+deb12u2'), 'libfoo1')).toEqual({ kind: 'linked', toPackage: 'foo-common' });
    expect(await readDocChangelog(file('libfoo-extra', '1.2-3+deb12u2'), 'libfoo-extra')).toEqual({ kind: 'linked', toPackage: 'foo-common' });
    const doc = await readDocChangelog(file('foo-common', '1.2-3+deb12u2'), 'foo-common');
    expect(doc).toMatchObject({ kind: 'changelog', path: '/usr/share/doc/foo-common/changelog.Debian.gz' });
    expect(await readDocChangelog(file('bar', '2.0-1'), 'bar')).toEqual({ kind: 'none' });
  });

  it('groups by source, follows a linked doc folder, and keeps exactly the ids of the entries newer than installed', async () => {
    const advisories = await readAdvisories(
      [
        { name: 'libfoo1', installed: '1.2-3', candidate: '1.2-3+deb12u2' },
        { name: 'bar', installed: '1.9-1', candidate: '2.0-1' },
      ],
      locate,
    );
    expect(advisories.map((a) => a.source)).toEqual(['bar', 'foo']);
    const foo = advisories[1];
    expect(foo).toMatchObject({
      source: 'foo',
      installed: '1.2-3',
      candidate: '1.2-3+deb12u2',
      changelogFrom: 'foo-common_1.2-3+deb12u2_all.deb:/usr/share/doc/foo-common/changelog.Debian.gz',
      cves: ['CVE-2026-09999', 'CVE-2026-10001', 'CVE-2026-10002'],
      dsas: ['DSA-6001-1'],
      bugs: [1100001, 1100002],
      urgency: 'high',
      severity: { level: 'high', basis: 'from the package changelog: urgency=high in 1.2-3+deb12u2; names 3 CVE id(s), DSA-6001-1' },
      notes: [],
    });
    expect(foo?.entries.map((e) => e.version)).toEqual(['1.2-3+deb12u2', '1.2-3+deb12u1']);
    expect(advisories[0]).toMatchObject({ source: 'bar', entries: [], cves: [], severity: { level: 'unknown', basis: 'no changelog in the package' }, notes: ['no changelog in the package'] });
  });

  it('counts from the oldest installed binary of a source, and says what is missing from the cache', async () => {
    const advisories = await readAdvisories(
      [
        { name: 'foo-common', installed: '1.2-3+deb12u1', candidate: '1.2-3+deb12u2' },
        { name: 'libfoo-extra', installed: '1.2-3', candidate: '1.2-3+deb12u2' },
        { name: 'baz', installed: '2.0-1', candidate: '3.0-1' },
        { name: 'qux', installed: '1-1', candidate: '1-2' },
      ],
      locate,
    );
    expect(advisories.map((a) => [a.source, a.binaries.map((b) => b.name).sort()])).toEqual([
      ['baz', ['baz']],
      ['foo', ['foo-common', 'libfoo-extra']],
      ['qux', ['qux']],
    ]);
    expect(advisories[1]?.cves).toHaveLength(3);
    expect(advisories[0]?.severity).toEqual({ level: 'unknown', basis: "baz's doc folder links to baz-data, whose 3.0-1 is not in the package cache" });
    expect(advisories[2]?.severity).toEqual({ level: 'unknown', basis: 'qux 1-2 is not in the package cache' });
  });
});
