import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseMirror, debianMirror, parseSources } from '../../lab/config/mirror.ts';

// Example hosts are reserved documentation names (RFC 2606), not a real mirror.
const deb822 = `Types: deb
# a comment
URIs: http://archive.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://archive.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main
`;

describe('apt sources', () => {
  it('reads deb822 stanzas and skips deb-src', () => {
    const entries = parseSources(deb822, 'debian.sources');
    expect(entries.map((e) => e.uri)).toEqual(['http://archive.example/debian', 'http://archive.example/debian-security']);
    expect(chooseMirror(entries, 'bookworm')).toEqual({
      archive: 'http://archive.example/debian',
      security: 'http://archive.example/debian-security',
    });
  });

  it('reads one-line sources with options and comments', () => {
    const text = '# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main contrib\n';
    expect(chooseMirror(parseSources(text, 'sources.list'), 'bookworm')).toEqual({
      archive: 'http://one.example/debian',
      security: 'http://one.example/debian-security',
    });
  });

  it('ignores disabled stanzas', () => {
    const text = 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n';
    expect(parseSources(text, 'x.sources')).toEqual([]);
  });

  it('reads the machine layout from a folder, and the environment overrides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apt-'));
    mkdirSync(join(dir, 'sources.list.d'));
    writeFileSync(join(dir, 'sources.list.d', 'debian.sources'), deb822);
    expect(debianMirror('bookworm', {}, {}, dir).archive).toBe('http://archive.example/debian');
    expect(debianMirror('bookworm', {}, { PATCHLAB_MIRROR: 'http://override.example/debian' }, dir)).toEqual({
      archive: 'http://override.example/debian',
      security: 'http://override.example/debian-security',
    });
  });

  it('says what to set when no source serves the suite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apt-'));
    expect(() => debianMirror('trixie', {}, {}, dir)).toThrow(/no Debian mirror for suite trixie.*PATCHLAB_MIRROR/);
  });
});
