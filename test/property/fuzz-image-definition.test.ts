import fc from 'fast-check';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_PACKAGE } from '../../lab/config/names.ts';
import { InputError } from '../../lab/config/validation.ts';
import type { ExecResult, Host } from '../../lab/hosts/host.ts';
import { startService, stopService } from '../../lab/hosts/services.ts';
import { loadImageDefinition, type ImageDefinition } from '../../lab/images/definition.ts';
import { layerDockerfile } from '../../lab/images/dockerfile.ts';
import {
  anyValue,
  attempt,
  FUZZ,
  FUZZ_FEW,
  getIn,
  metaString,
  pathsOf,
  problemAt,
  scratch,
  setIn,
  stringPathsOf,
  write,
  wrongTypeFor,
  yaml,
  type Path,
} from '../fixtures/fuzz/kit.ts';

/*
 * Issue 6, "Bad input": the image definition loader (lab/images/definition.ts), from a real file,
 * and where its strings go: the layer's Dockerfile and the service's start and stop commands.
 * Commands are lists of words, never shell strings.
 */

const { dir, remove } = scratch('fuzz-image');
afterAll(remove);
const file = join(dir, 'fuzz.yaml');
mkdirSync(join(dir, 'fuzz'));
write(join(dir, 'fuzz', 'site.conf'), 'server { listen 80; }\n');
write(join(dir, 'fuzz', 'fuzz.goss.yaml'), 'port:\n  tcp:80: {listening: true}\n');

function base() {
  return {
    name: 'fuzz',
    description: 'nginx, for fuzzing',
    suite: 'bookworm',
    packages: ['nginx-light', 'libc6'],
    files: [{ path: '/etc/nginx/sites-available/default', source: 'fuzz/site.conf', mode: 0o644 }],
    setup: [['nginx', '-t'], ['sh', '-c', 'echo ready > /tmp/ready']],
    service: { start: ['nginx'], stop: ['nginx', '-s', 'quit'], ready: [80] },
    ports: [80],
    checks: ['fuzz/fuzz.goss.yaml'],
  };
}

const PATHS = pathsOf(base());
const STRING_PATHS = stringPathsOf(base());

function load(doc: unknown) {
  write(file, yaml(doc));
  return attempt(file, () => loadImageDefinition(file));
}

function loadsOrNames(doc: unknown, path: Path) {
  const outcome = load(doc);
  if ('error' in outcome) expect(outcome.error.problems.some((p) => problemAt(p, path)), outcome.error.message).toBe(true);
  return outcome;
}

/** A host that runs nothing, records every argv, and says port 80 listens while `listening`. */
function recordingHost(listening: boolean): { host: Host; argvs: string[][] } {
  const argvs: string[][] = [];
  const tcp = `  sl  local_address rem_address   st\n   0: 00000000:0050 00000000:0000 ${listening ? '0A' : '01'} 00000000\n`;
  const host: Host = {
    id: 'fuzz',
    name: 'fuzz-host',
    kind: 'container',
    address: '127.0.0.1',
    endpoint: (port) => ({ address: '127.0.0.1', port }),
    exec: async (argv): Promise<ExecResult> => {
      argvs.push([...argv]);
      return { exitCode: 0, stdout: argv[0] === 'cat' ? tcp : '', stderr: '', durationMs: 0, timedOut: false };
    },
    copyIn: async () => undefined,
    copyOut: async () => Buffer.alloc(0),
    snapshot: async () => 'fuzz',
    stop: async () => undefined,
  };
  return { host, argvs };
}

/** The Dockerfile's RUN and COPY lines, read back: exec form, so each is a JSON list of words. */
function instructions(def: ImageDefinition): { op: string; words: string[] }[] {
  return layerDockerfile(def, 'patchlab-base:fuzz', { 'patchlab.image': 'fuzz' })
    .trimEnd()
    .split('\n')
    .filter((line) => /^(RUN|COPY) /.test(line))
    .map((line) => ({ op: line.slice(0, line.indexOf(' ')), words: JSON.parse(line.slice(line.indexOf(' ') + 1)) as string[] }));
}

describe('image definition loader fuzzing', () => {
  it('the base of the fuzzing loads', () => {
    expect('value' in load(base())).toBe(true);
  });

  it('one field of another type is refused naming that field (or the definition still loads)', () => {
    const mutation = fc.constantFrom(...PATHS).chain((path) => fc.tuple(fc.constant(path), wrongTypeFor(getIn(base(), path))));
    fc.assert(
      fc.property(mutation, ([path, to]) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ,
    );
  });

  it('huge and odd values anywhere are refused naming the field, or load', () => {
    const huge = fc.oneof(
      fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'x'.repeat(n)),
      fc.constantFrom(1e308, -1e308, 2 ** 64, 5e-324, Infinity, Number.NaN, 0o7777 + 1, 65_536),
      fc.integer({ min: 1_000, max: 3_000 }).map((n) => Array(n).fill('nginx')),
      fc.integer({ min: 10, max: 60 }).map((n) => Array.from({ length: n }).reduce<unknown>((inner) => [inner], 'deep')),
      anyValue,
    );
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), huge, (path, to) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ_FEW,
    );
  });

  it('shell and control characters in any string field are kept as written, or refused naming the field; package names are always refused', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_PATHS), metaString, (path, text) => {
        const outcome = loadsOrNames(setIn(base(), path, text), path);
        if (path[0] === 'packages' || path[0] === 'name' || path[0] === 'suite') expect('error' in outcome).toBe(true);
        if ('value' in outcome) expect(getIn(outcome.value, path)).toBe(text);
      }),
      FUZZ,
    );
  });

  it('a command given as one string, not a list of words, is refused naming it', () => {
    const where: Path[] = [['service', 'start'], ['service', 'stop'], ['setup', 0], ['setup']];
    fc.assert(
      fc.property(fc.constantFrom(...where), fc.oneof(metaString, fc.constantFrom('nginx -g "daemon off;"', 'nginx')), (path, command) => {
        const outcome = load(setIn(base(), path, command));
        expect('error' in outcome && outcome.error.problems.some((p) => problemAt(p, path))).toBe(true);
      }),
      FUZZ_FEW,
    );
  });

  it('command words reach Docker and the host as the same words: exec-form RUN, argv for start and stop', async () => {
    const words = fc.array(metaString, { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(words, words, words, async (setup, start, stop) => {
        const doc = { ...base(), setup: [setup, ['nginx', '-t']], service: { start, stop, ready: [80] } };
        const outcome = load(doc);
        if (!('value' in outcome)) throw new Error(`refused: ${outcome.error.message}`);
        const def = outcome.value;
        expect(def.setup).toEqual(doc.setup);
        expect(def.service).toEqual(doc.service);

        const [install, ...rest] = instructions(def);
        // The one shell patchlab writes itself: only validated package names go into it.
        expect(def.packages.every((p) => DEBIAN_PACKAGE.test(p))).toBe(true);
        expect(install).toEqual({ op: 'RUN', words: ['/bin/sh', '-c', expect.stringContaining(`--no-install-recommends ${def.packages.join(' ')};`)] });
        expect(rest).toEqual([
          { op: 'COPY', words: ['files/0', '/etc/nginx/sites-available/default'] },
          { op: 'RUN', words: ['chmod', '644', '/etc/nginx/sites-available/default'] },
          ...def.setup.map((argv) => ({ op: 'RUN', words: argv })),
        ]);

        const started = recordingHost(true);
        await startService(started.host, def, 1_000);
        expect(started.argvs[0]).toEqual(doc.service.start);
        const stopped = recordingHost(false);
        await stopService(stopped.host, def);
        expect(stopped.argvs[0]).toEqual(doc.service.stop);
      }),
      FUZZ_FEW,
    );
  });
});

describe('image definition regressions found by fuzzing', () => {
  it('Docker expanded $VAR in a file path (COPY does, even in exec form): now refused naming the path', () => {
    write(file, yaml(setIn(base(), ['files', 0, 'path'], '/etc/$HOME/x')));
    expect(() => loadImageDefinition(file)).toThrow(InputError);
    try {
      loadImageDefinition(file);
    } catch (error) {
      expect((error as InputError).problems).toEqual(['files[0].path: expected a path without "$", "\\" or control characters (Docker would expand $VAR in it)']);
    }
  });
});
