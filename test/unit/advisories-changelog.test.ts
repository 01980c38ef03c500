import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAdvisory, entriesNewerThan } from '../../lab/advisories/advisory.ts';
import { parseChangelog } from '../../lab/advisories/changelog.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'advisories', name), 'utf8');

describe('Debian changelog parsing', () => {
  it('reads the entries of a real security update: CVE ids, urgency, distribution, trailer', () => {
    const { entries, stoppedAt } = parseChangelog(fixture('openssl.changelog'));
    expect(stoppedAt).toBeUndefined();
    expect(entries.map((e) => e.version)).toEqual(['3.0.19-1~deb12u2', '3.0.19-1~deb12u1', '3.0.18-1~deb12u2']);
    const [top] = entries;
    expect(top).toMatchObject({
      source: 'openssl',
      distributions: ['bookworm-security'],
      urgency: 'medium',
      maintainer: 'Sebastian Andrzej Siewior <sebastian@breakpoint.cc>',
      date: 'Fri, 03 Apr 2026 14:29:32 +0200',
      cves: ['CVE-2026-28387', 'CVE-2026-28389', 'CVE-2026-28390', 'CVE-2026-31789', 'CVE-2026-31790'],
      bugs: [],
      line: 1,
    });
    expect(entries[1]?.cves).toEqual([]);
    expect(entries[2]?.cves).toHaveLength(8);
  });

  it('reads bug numbers from Closes: lists, also when they wrap onto the next line', () => {
    const { entries } = parseChangelog(fixture('glibc.changelog'));
    expect(entries[0]?.bugs).toEqual([1125678, 1125748, 1126266, 1131435, 1131887, 1132499]);
    expect(entries[0]?.cves).toEqual(['CVE-2026-0861', 'CVE-2026-0915', 'CVE-2025-15281', 'CVE-2026-4437', 'CVE-2026-4438', 'CVE-2026-4046']);
    // "(see #1122107)" is a mention, not a Closes:.
    expect(entries[0]?.bugs).not.toContain(1122107);
    expect(entries[1]).toMatchObject({ version: '2.36-9+deb12u13', cves: ['CVE-2025-8058'], bugs: [1109803] });
  });

  it('reads urgency=high, and Closes: in parentheses', () => {
    const { entries } = parseChangelog(fixture('docker.io.changelog'));
    expect(entries[0]).toMatchObject({ urgency: 'high', cves: ['CVE-2024-41110'], bugs: [1084993] });
    expect(entries[1]).toMatchObject({ urgency: 'medium', distributions: ['unstable'] });
  });

  it('reads DSA and DLA ids, several bug forms, every urgency and keeps an unknown urgency word as text', () => {
    const text = [
      'foo (1.2-3+deb12u1) bookworm-security; urgency=Emergency',
      '',
      '  * Non-maintainer upload by the Security Team (DSA-5514-1).',
      '  * Fix CVE-2026-123456 and cve-2026-1 (not an id: lower case, too short).',
      '  * Closes: #1000, bug#1001,',
      '    #1002; also closes: 1003',
      '',
      ' -- Security Team <security-team@example.org>  Tue, 01 Dec 2026 10:00:00 +0000',
      '',
      'foo (1.2-2+deb11u1) bullseye-security; urgency=low, binary-only=yes',
      '',
      '  * LTS upload, DLA-3456-2.',
      '',
      ' -- LTS <lts@debian.org>  Mon, 30 Nov 2026 10:00:00 +0000',
      '',
      'foo (1.2-2) unstable experimental; urgency=whenever',
      '',
      '  * Nothing.',
      '',
      ' -- M <m@example.org>  Sun, 29 Nov 2026 10:00:00 +0000',
    ].join('\n');
    const { entries } = parseChangelog(text);
    expect(entries[0]).toMatchObject({ urgency: 'emergency', dsas: ['DSA-5514-1'], cves: ['CVE-2026-123456'], bugs: [1000, 1001, 1002, 1003] });
    expect(entries[1]).toMatchObject({ urgency: 'low', dlas: ['DLA-3456-2'] });
    expect(entries[2]).toMatchObject({ distributions: ['unstable', 'experimental'], urgencyText: 'whenever' });
    expect(entries[2]?.urgency).toBeUndefined();
  });

  it('stops at an old-format trailer and says where', () => {
    const text = 'bar (2.0-1) unstable; urgency=medium\n\n  * New.\n\n -- M <m@example.org>  Sun, 29 Nov 2026 10:00:00 +0000\n\n# Older entries have been removed from this changelog.\n';
    const parsed = parseChangelog(text);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.stoppedAt).toEqual({ line: 7, reason: 'end of the entries in the current format' });
  });

  it('refuses text that is not a changelog, naming the file, the line and what was expected', () => {
    expect(() => parseChangelog('Version 2.0: many fixes\n', 'foo_2.0_all.deb:/usr/share/doc/foo/changelog.Debian.gz')).toThrow(
      'foo_2.0_all.deb:/usr/share/doc/foo/changelog.Debian.gz, line 1: expected an entry header "package (version) distribution; urgency=...", got "Version 2.0: many fixes"',
    );
    expect(() => parseChangelog('\n\n', 'empty')).toThrow('empty: expected at least one entry');
  });
});

describe('advisory of an update', () => {
  const parsed = parseChangelog(fixture('openssl.changelog'));
  const binaries = [
    { name: 'openssl', installed: '3.0.18-1~deb12u2', candidate: '3.0.19-1~deb12u2' },
    { name: 'libssl3', installed: '3.0.18-1~deb12u2', candidate: '3.0.19-1~deb12u2' },
  ];

  it('keeps only the entries newer than the installed version', () => {
    expect(entriesNewerThan(parsed, '3.0.18-1~deb12u2').entries.map((e) => e.version)).toEqual(['3.0.19-1~deb12u2', '3.0.19-1~deb12u1']);
    expect(entriesNewerThan(parsed, '3.0.19-1~deb12u2').entries).toEqual([]);
    // Older than the oldest entry shown: all of them, and no note since the text was read to its end.
    expect(entriesNewerThan(parsed, '3.0.0-1')).toMatchObject({ notes: [] });
  });

  it('sums the new entries up per source, with tracker links, and derives severity from the urgency with its basis', () => {
    const advisory = buildAdvisory({ source: 'openssl', binaries, changelog: { parsed, from: 'openssl_3.0.19-1~deb12u2_amd64.deb:/usr/share/doc/openssl/changelog.Debian.gz' } });
    expect(advisory).toMatchObject({
      source: 'openssl',
      installed: '3.0.18-1~deb12u2',
      candidate: '3.0.19-1~deb12u2',
      urgency: 'medium',
      severity: { level: 'medium', basis: 'from the package changelog: urgency=medium in 3.0.19-1~deb12u2; names 5 CVE id(s)' },
      notes: [],
    });
    expect(advisory.cves).toHaveLength(5);
    expect(advisory.links[0]).toEqual({ id: 'CVE-2026-28387', url: 'https://security-tracker.debian.org/tracker/CVE-2026-28387' });
  });

  it('takes the highest urgency of the new entries, and never makes one up', () => {
    const text = [
      'x (3) bookworm; urgency=low', '', '  * a', '', ' -- M <m@e.org>  Sun, 29 Nov 2026 10:00:00 +0000', '',
      'x (2) bookworm; urgency=critical', '', '  * CVE-2026-0001', '', ' -- M <m@e.org>  Sun, 29 Nov 2026 10:00:00 +0000', '',
      'x (1) bookworm', '', '  * first', '', ' -- M <m@e.org>  Sun, 29 Nov 2026 10:00:00 +0000',
    ].join('\n');
    const one = { name: 'x', installed: '1', candidate: '3' };
    const advisory = buildAdvisory({ source: 'x', binaries: [one], changelog: { parsed: parseChangelog(text), from: 'x.deb' } });
    expect(advisory.severity).toEqual({ level: 'critical', basis: 'from the package changelog: urgency=critical in 2; names 1 CVE id(s)' });
    const none = buildAdvisory({ source: 'x', binaries: [one] });
    expect(none.severity).toEqual({ level: 'unknown', basis: 'no changelog in the package' });
    expect(none.cves).toEqual([]);
  });
});
