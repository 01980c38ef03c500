import fc from 'fast-check';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lab/config/validation.ts';
import { loadScenario } from '../../scenarios/load.ts';
import {
  anyValue,
  attempt,
  FUZZ,
  FUZZ_FEW,
  getIn,
  metaString,
  pathsOf,
  problemAt,
  renameKey,
  scratch,
  setIn,
  stringPathsOf,
  write,
  wrongTypeFor,
  yaml,
  type Path,
} from '../fixtures/fuzz/kit.ts';

/*
 * Issue 6, "Bad input": the scenario loader (scenarios/load.ts over scenarios/schema.ts), from a
 * real file. A mistyped, huge or hostile field loads as written or is refused naming that field.
 */

const { dir, remove } = scratch('fuzz-scenario');
afterAll(remove);
const file = join(dir, 'fuzz.yaml');
mkdirSync(join(dir, 'checks'));
write(join(dir, 'checks', 'smoke.goss.yaml'), 'command:\n  "true": {exit-status: 0}\n');

function base() {
  return {
    name: 'fuzz',
    description: 'the base every case of this file changes one field of',
    image: 'web',
    patch: ['security', 'openssl=3.0.15-1'],
    severity: 'high',
    checks: ['checks/smoke.goss.yaml'],
    fleet: { hosts: 16, groups: [{ count: 8, labels: { site: 'paris' } }], seed: 3, simulate: { hosts: 1000, seed: 9 } },
    rings: [
      { name: 'canary', hosts: 2, soak: '10s', requiresApproval: false },
      { name: 'pilot', hosts: { labels: { site: 'paris' } }, concurrency: '25%', soak: '15s', healthGate: { latency: true } },
      { name: 'broad', hosts: 'rest', concurrency: 5, soak: '5s', failureBudget: '10%' },
    ],
    policy: { checkInterval: '2s', checkTimeout: '30s', maxFlaps: 3, soakFactor: 0.5, latency: { alpha: 0.01, minEffectRatio: 0.1, minSamples: 10 } },
    faults: [
      { kind: 'latency', hosts: 'all', addMs: 200 },
      { kind: 'flaky', hosts: { indices: [3], ring: 'pilot' }, failures: 1 },
      { kind: 'slow-report', hosts: { probability: 0.1 }, delay: '30s' },
      { kind: 'check-noise', hosts: { fraction: 0.5, labels: { site: 'paris' } }, flipProbability: 0.2 },
    ],
  };
}

const PATHS = pathsOf(base());
const STRING_PATHS = stringPathsOf(base());
/** Words a loaded scenario may hand to apt or dpkg: nothing a shell would read. */
const PATCH_WORD = /^(security|all|[a-z0-9][a-z0-9+.-]+(=[0-9][A-Za-z0-9.+~:-]*)?|\/[^\0]*\.deb)$/;

function load(doc: unknown) {
  write(file, yaml(doc));
  return attempt(file, () => loadScenario(file));
}

/** Loaded, or refused with a problem at `path`; anything else fails the property. */
function loadsOrNames(doc: unknown, path: Path) {
  const outcome = load(doc);
  if ('error' in outcome) expect(outcome.error.problems.some((p) => problemAt(p, path)), outcome.error.message).toBe(true);
  return outcome;
}

describe('scenario loader fuzzing', () => {
  it('the base of the fuzzing loads', () => {
    expect('value' in load(base())).toBe(true);
  });

  it('one field of another type is refused naming that field (or the scenario still loads)', () => {
    const mutation = fc.constantFrom(...PATHS).chain((path) => fc.tuple(fc.constant(path), wrongTypeFor(getIn(base(), path))));
    fc.assert(
      fc.property(mutation, ([path, to]) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ,
    );
  });

  it('huge values anywhere: long text, enormous numbers, long lists, deep mappings', () => {
    const huge = fc.oneof(
      fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'x'.repeat(n)),
      fc.constantFrom(1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 5e-324, Infinity, Number.NaN),
      // YAML composes about 50,000 list entries a second: long enough to matter, short enough for CI.
      fc.integer({ min: 1_000, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
      fc.integer({ min: 1_000, max: 3_000 }).map((n) => Array(n).fill('security')),
      fc.integer({ min: 10, max: 60 }).map((n) => Array.from({ length: n }).reduce<unknown>((inner) => ({ a: inner }), 'deep')),
      anyValue,
    );
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), huge, (path, to) => void loadsOrNames(setIn(base(), path, to), path)),
      FUZZ_FEW,
    );
  });

  it('shell and control characters in any string field are kept as written, or refused naming the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_PATHS), metaString, (path, text) => {
        const outcome = loadsOrNames(setIn(base(), path, text), path);
        if (!('value' in outcome)) return;
        const scenario = outcome.value;
        // Text fields keep every character; nothing was run, expanded or unescaped.
        if (path[0] === 'description') expect(scenario.description).toBe(text);
        expect(scenario.patchWords.every((w) => PATCH_WORD.test(w)), scenario.patchWords.join(' ')).toBe(true);
        expect(scenario.patch.packages.every((p) => /^[a-z0-9][a-z0-9+.-]+$/.test(p.name))).toBe(true);
      }),
      FUZZ,
    );
  });

  it('a check file or a .deb whose name holds shell characters loads, its path kept as written', () => {
    // Any file name the file system takes: no "/" or NUL, at most 255 bytes.
    const fileName = metaString.map((t) => t.replace(/[/\0]/g, '_')).filter((t) => Buffer.byteLength(t) < 240 && !/^\.\.?$/.test(t));
    fc.assert(
      fc.property(fileName, (name) => {
        // Patch words are split at "," and trimmed, as --patch reads them: a .deb name can hold neither.
        const deb = `${name.replace(/,/g, '_').trim()}.deb`;
        write(join(dir, `${name}.goss.yaml`), 'command:\n  "true": {exit-status: 0}\n');
        write(join(dir, deb), 'not really a package: only its path matters here');
        const outcome = load({ ...base(), checks: [`${name}.goss.yaml`], patch: [deb] });
        if (!('value' in outcome)) throw new Error(outcome.error.message);
        expect(outcome.value.checks).toEqual([join(dir, `${name}.goss.yaml`)]);
        expect(outcome.value.patch.debs).toEqual([join(dir, deb)]);
      }),
      FUZZ_FEW,
    );
  });

  it('a package name with shell characters is refused, naming the patch entry', () => {
    fc.assert(
      fc.property(metaString, fc.boolean(), (text, asVersion) => {
        const word = asVersion ? `openssl=${text}` : text;
        const outcome = load(setIn(base(), ['patch', 1], word));
        // trim() takes leading and trailing whitespace off a word; what is left must still be clean.
        if ('value' in outcome) expect(outcome.value.patchWords.every((w) => PATCH_WORD.test(w))).toBe(true);
        else expect(outcome.error.problems.some((p) => p.startsWith('patch[1]: '))).toBe(true);
        // A single metacharacter in the middle of a word can never pass.
        const wrapped = load(setIn(base(), ['patch', 1], `a${text.replace(/\s/g, '')}b`));
        if (/[^a-z0-9+.=,-]/.test(text.replace(/\s/g, ''))) expect('error' in wrapped).toBe(true);
      }),
      FUZZ_FEW,
    );
  });

  it('shell and control characters in a mapping key (labels) are refused, naming the mapping', () => {
    const keyPaths: Path[] = [['fleet', 'groups', 0, 'labels', 'site'], ['rings', 1, 'hosts', 'labels', 'site'], ['faults', 3, 'hosts', 'labels', 'site']];
    fc.assert(
      fc.property(fc.constantFrom(...keyPaths), metaString, (path, key) => {
        const outcome = load(renameKey(base(), path, key));
        expect('error' in outcome && outcome.error.problems.some((p) => problemAt(p, path.slice(0, -1)))).toBe(true);
      }),
      FUZZ_FEW,
    );
  });
});

describe('scenario loader regressions found by fuzzing', () => {
  const problemsOf = (doc: unknown): readonly string[] => {
    write(file, yaml(doc));
    try {
      loadScenario(file);
    } catch (error) {
      if (error instanceof InputError) return error.problems;
      throw error;
    }
    throw new Error('expected an InputError');
  };

  it('a NUL byte in a check path threw a TypeError from statSync: now refused naming the check', () => {
    expect(problemsOf(setIn(base(), ['checks', 0], 'a\0.yaml'))).toEqual([`checks[0]: expected a check file, ${join(dir, 'a\\u0000.yaml')} does not exist`]);
  });

  it('a check path too long for the kernel threw ENAMETOOLONG: now refused naming the check', () => {
    const long = `${'a'.repeat(5_000)}.yaml`;
    expect(problemsOf(setIn(base(), ['checks', 0], long))).toEqual([`checks[0]: expected a check file, ${join(dir, long)} does not exist`]);
  });

  it('a check path through a file (checks/smoke.goss.yaml/x.yaml) threw ENOTDIR: now refused naming the check', () => {
    expect(problemsOf(setIn(base(), ['checks', 0], 'checks/smoke.goss.yaml/x.yaml'))).toEqual([
      `checks[0]: expected a check file, ${join(dir, 'checks/smoke.goss.yaml/x.yaml')} does not exist`,
    ]);
  });

  it('a NUL byte in a .deb patch word threw a TypeError: now refused naming the patch entry', () => {
    expect(problemsOf(setIn(base(), ['patch', 1], 'x\0.deb'))).toEqual([`patch[1]: expected a readable .deb file, ${join(dir, 'x\\u0000.deb')} does not exist`]);
  });
});
