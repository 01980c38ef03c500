import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remoteCommand, shellQuote } from '../../lab/hosts/vm/remote-shell.ts';

/** What a real POSIX shell makes of the command line: the words printf receives, NUL-separated. */
function wordsAfterShell(commandLine: string): string[] {
  const result = spawnSync('sh', ['-c', commandLine], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\0').slice(0, -1);
}

const word = fc.string({ unit: 'binary', maxLength: 24 }).filter((w) => !w.includes('\0'));

describe('commands sent to a VM host through ssh', () => {
  it('reach the guest as exactly the argv the lab gave, whatever characters the words hold', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (argv) => {
        // A first word, since printf with no arguments still prints its format once.
        expect(wordsAfterShell(remoteCommand(['printf', '%s\\0', 'argv:', ...argv])).slice(1)).toEqual(argv);
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it('keep environment values and the working directory literal too', () => {
    fc.assert(
      fc.property(word, (value) => {
        expect(wordsAfterShell(remoteCommand(['sh', '-c', 'printf "%s\\0" "$V"'], { env: { V: value } }))).toEqual([value]);
      }),
      { seed: 20261123, numRuns: 200 },
    );
    const dir = mkdtempSync(join(tmpdir(), "patchlab a'b $(touch x) `c`"));
    try {
      expect(wordsAfterShell(remoteCommand(['sh', '-c', 'printf "%s\\0" "$PWD"'], { workdir: dir }))).toEqual([dir]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses what cannot be passed safely: a NUL byte, an environment name that is not a name', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => remoteCommand(['true'], { env: { 'A;rm -rf /': 'x' } })).toThrow(/not a shell name/);
    expect(() => remoteCommand([])).toThrow(/empty command/);
  });

  it('asks the guest to kill a command at its time limit, not only to stop waiting for it', () => {
    expect(remoteCommand(['dpkg', '-i', '/x.deb'], {}, 600)).toBe('exec timeout --kill-after=2 600s dpkg -i /x.deb');
  });
});

describe('commands for a login that is not root', () => {
  it('reach the far side through sudo -n, with argv and environment intact', () => {
    // A stand-in sudo that checks the words before "--" and runs what follows, as sudo would.
    const dir = mkdtempSync(join(tmpdir(), 'patchlab-sudo-'));
    try {
      const fakeSudo = join(dir, 'sudo');
      writeFileSync(fakeSudo, '#!/bin/sh\n[ "$1" = -n ] || exit 99\nshift\nif [ "$1" = -u ]; then shift 2; fi\n[ "$1" = -- ] || exit 98\nshift\nexec "$@"\n', { mode: 0o755 });
      fc.assert(
        fc.property(fc.array(word, { maxLength: 5 }), word, (argv, value) => {
          const line = remoteCommand(['sh', '-c', 'printf "%s\\0" "$V" "$@"', 'sh', ...argv], { env: { V: value } }, 30, true);
          expect(line.startsWith('exec sudo -n -- env ')).toBe(true);
          const result = spawnSync('sh', ['-c', line], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
          expect(result.status, result.stderr).toBe(0);
          expect(result.stdout.split('\0').slice(0, -1)).toEqual([value, ...argv]);
        }),
        { seed: 20261207, numRuns: 100 },
      );
      expect(remoteCommand(['id'], { user: 'www-data' }, undefined, true)).toBe('exec sudo -n -u www-data -- id');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
