import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globSegment } from '../../lab/checks/goss-include.ts';
import { loadGossFile } from '../../lab/checks/goss-load.ts';
import { InputError } from '../../lab/config/validation.ts';

/** goss's `gossfile` directive: includes relative to the including file, globs, skip, and the guards goss lacks. */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-goss-include-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(tree: Record<string, string>): void {
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const ids = (file: string) => loadGossFile(join(dir, file)).checks.map((c) => `${c.kind}:${c.key}`);

function refusal(file: string): InputError {
  try {
    loadGossFile(join(dir, file));
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected ${file} to be refused`);
}

describe('gossfile includes', () => {
  it('reads includes relative to the file that includes them, by key or by `file`, depth first', () => {
    files({
      'main.yaml': 'gossfile:\n  roles/web.yaml: {}\n  db role:\n    file: roles/db.yaml\npackage:\n  nginx-light: {installed: true}\n',
      'roles/web.yaml': 'gossfile:\n  common/base.yaml: {}\nport:\n  tcp:80: {listening: true}\n',
      'roles/common/base.yaml': 'user:\n  root: {exists: true}\n',
      'roles/db.yaml': 'port:\n  tcp:5432: {listening: true}\n',
    });
    expect(ids('main.yaml')).toEqual(['package:nginx-light', 'port:tcp:80', 'user:root', 'port:tcp:5432']);
  });

  it('expands globs (goss\'s filepath.Match syntax) in name order, absolute or relative', () => {
    files({
      'main.yaml': `gossfile:\n  conf.d/*.yaml: {}\n  ${join(dir, 'extra', '[a-b]?.yaml')}: {}\n`,
      'conf.d/20-web.yaml': 'process:\n  nginx: {running: true}\n',
      'conf.d/10-base.yaml': 'user:\n  root: {exists: true}\n',
      'conf.d/notes.txt': 'not goss',
      'extra/a1.yaml': 'group:\n  adm: {exists: true}\n',
      'extra/c1.yaml': 'group:\n  never: {exists: true}\n',
    });
    expect(ids('main.yaml')).toEqual(['user:root', 'process:nginx', 'group:adm']);
  });

  it('reads nothing from an entry that says skip, as goss does', () => {
    files({ 'main.yaml': 'gossfile:\n  broken.yaml: {skip: true}\n  "*.missing": {skip: true}\n', 'broken.yaml': 'not: [valid' });
    expect(ids('main.yaml')).toEqual([]);
  });

  it('reads a file included twice along different paths once', () => {
    files({
      'main.yaml': 'gossfile:\n  a.yaml: {}\n  b.yaml: {}\n',
      'a.yaml': 'gossfile:\n  common.yaml: {}\n',
      'b.yaml': 'gossfile:\n  common.yaml: {}\n',
      'common.yaml': 'user:\n  root: {exists: true}\n',
    });
    expect(ids('main.yaml')).toEqual(['user:root']);
  });
});

describe('what an include cannot do, each refused naming the file and the entry', () => {
  it('include a file that is not there, or a pattern that matches none', () => {
    files({ 'main.yaml': 'gossfile:\n  roles/missing.yaml: {}\n', 'glob.yaml': 'gossfile:\n  roles/*.yaml: {}\n' });
    expect(refusal('main.yaml').message).toBe(`${join(dir, 'main.yaml')}: gossfile.roles/missing.yaml: expected a goss file to include, ${join(dir, 'roles', 'missing.yaml')} does not exist`);
    expect(refusal('glob.yaml').problems).toEqual([`gossfile.roles/*.yaml: expected the pattern to match goss files to include, it matches none (${join(dir, 'roles', '*.yaml')})`]);
  });

  it('include itself, or close a cycle further down', () => {
    files({
      'self.yaml': 'gossfile:\n  self.yaml: {}\n',
      'a.yaml': 'gossfile:\n  b.yaml: {}\n',
      'b.yaml': 'gossfile:\n  ../cycle/a.yaml: {file: a.yaml}\n',
    });
    expect(refusal('self.yaml').problems[0]).toMatch(/^gossfile\.self\.yaml: .*self\.yaml is already being read \(an include cycle: .*self\.yaml -> .*self\.yaml\)$/);
    const cycle = refusal('a.yaml');
    expect(cycle.file).toBe(join(dir, 'b.yaml'));
    expect(cycle.problems[0]).toMatch(/^gossfile\.\.\.\/cycle\/a\.yaml: .*a\.yaml is already being read \(an include cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml\)/);
  });

  it('nest deeper than 16 files', () => {
    const chain = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.yaml`, `gossfile:\n  f${i + 1}.yaml: {}\n`]));
    files({ ...chain, 'f20.yaml': 'user:\n  root: {exists: true}\n' });
    const error = refusal('f0.yaml');
    expect(error.problems[0]).toMatch(/^gossfile\.f16\.yaml: expected includes at most 16 files deep, .*f16\.yaml would be deeper/);
  });

  it('define a check another file defines too (goss would silently keep one)', () => {
    files({ 'main.yaml': 'gossfile:\n  other.yaml: {}\nuser:\n  root: {exists: true}\n', 'other.yaml': 'user:\n  root: {uid: 0}\n' });
    expect(refusal('main.yaml').problems).toEqual([
      `gossfile.other.yaml: ${join(dir, 'other.yaml')} has user "root", and so has ${join(dir, 'main.yaml')}; goss would silently keep only one of them`,
    ]);
  });

  it('hide a mistake in the included file: the error names that file and where it was included', () => {
    files({ 'main.yaml': 'gossfile:\n  roles/web.yaml: {}\n', 'roles/web.yaml': 'port:\n  tcp:80: {listenning: true}\n' });
    const error = refusal('main.yaml');
    expect(error.file).toBe(join(dir, 'roles', 'web.yaml'));
    expect(error.problems[0]).toMatch(new RegExp(`^port\\.tcp:80\\.listenning: unknown attribute, .* \\(included by ${join(dir, 'main.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, gossfile\\.roles/web\\.yaml\\)$`));
  });
});

describe('glob segments', () => {
  it('read *, ?, classes and escapes as Go\'s filepath.Match', () => {
    expect(globSegment('*.yaml').test('web.yaml')).toBe(true);
    expect(globSegment('*.yaml').test('web.yml')).toBe(false);
    expect(globSegment('?0-*.yaml').test('10-base.yaml')).toBe(true);
    expect(globSegment('[^a]*').test('abc')).toBe(false);
    expect(globSegment('[a-c]x').test('bx')).toBe(true);
    expect(globSegment('\\*').test('*')).toBe(true);
    expect(globSegment('\\*').test('a')).toBe(false);
  });
});
