import fc from 'fast-check';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGossFile } from '../../lab/checks/goss-load.ts';
import { InputError, YAML_LIMITS } from '../../lab/config/validation.ts';
import { loadImageDefinition } from '../../lab/images/definition.ts';
import { loadScenario } from '../../scenarios/load.ts';
import { anyValue, attempt, binaryText, FUZZ, FUZZ_FEW, metaString, scratch, write, yaml } from '../fixtures/fuzz/kit.ts';

/*
 * Issue 6, "Bad input": YAML itself, through the three loaders that read it from a path. Whatever
 * the text, a loader returns, or throws an InputError naming the file and a field or a line, in
 * bounded time. Schema-level fuzzing is in fuzz-scenario, fuzz-goss and fuzz-image-definition.
 */

const { dir, remove } = scratch('fuzz-yaml');
afterAll(remove);
mkdirSync(join(dir, 'scenarios'));
mkdirSync(join(dir, 'images'));

/** The YAML layer is shared by the three loaders, so each runs fewer cases of each YAML feature. */
const PER_LOADER = { ...FUZZ_FEW, numRuns: 50 };

const loaders = [
  { name: 'scenario', file: join(dir, 'scenarios', 'fuzz.yaml'), load: loadScenario, stringField: 'description' },
  { name: 'goss file', file: join(dir, 'fuzz.goss.yaml'), load: loadGossFile, stringField: 'command' },
  { name: 'image definition', file: join(dir, 'images', 'fuzz.yaml'), load: loadImageDefinition, stringField: 'description' },
] as const;

/** Pieces YAML gives meaning to, and the schemas' own keys, so random text reaches past the parser. */
const YAML_TOKENS = [
  'name', 'image', 'patch', 'fleet', 'hosts', 'rings', 'package', 'command', 'exit-status', 'stdout', 'service', 'start', 'packages',
  'a', 'web', 'security', '1', '80', ':', ': ', ' ', '  ', '\n', '\n  ', '- ', '[', ']', '{', '}', ',', '&x ', '*x', '&y ', '*y', '*z',
  '!!str ', '!!int ', '!!map ', '!!seq ', '!!binary ', '!!set ', '!!omap ', '!!timestamp ', '!!js/function ', '!!python/object/apply:os.system ',
  '!custom ', '!<tag:yaml.org,2002:js/undefined> ', '---\n', '...\n', '? ', '| ', '>- ', '"', "'", '#', '%YAML 1.2\n', '%TAG !e! tag:e,2000:\n', '\t',
  '<<: ', '__proto__', 'constructor', '1e999', '-0', '0x1F', '0o17', '.nan', '-.inf', '~', 'null', 'true', 'yes', '123456789012345678901234567890',
  '\0', '\x1b[2J', '\ufeff', '\r', '\\', '$(reboot)', '`id`', '; rm -rf /',
];
const yamlSoup = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 }).map((parts) => parts.join(''));
const anyText = fc.oneof(
  yamlSoup,
  fc.array(binaryText, { maxLength: 10 }).map((parts) => parts.join('')),
  fc.dictionary(fc.oneof(fc.constantFrom(...YAML_TOKENS), metaString), anyValue, { maxKeys: 6 }).map(yaml),
  anyValue.map(yaml),
);

describe.each(loaders)('the $name loader, on any YAML', ({ file, load, stringField }) => {
  it('loads any text, or refuses it with an InputError naming the file and a field or line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        write(file, text);
        attempt(file, () => load(file));
      }),
      FUZZ,
    );
  });

  it('refuses a "billion laughs", or any alias expansion past the limit, before expanding it', () => {
    const bomb = fc.record({ levels: fc.integer({ min: 1, max: 12 }), fanout: fc.integer({ min: 1, max: 16 }), leaf: metaString });
    fc.assert(
      fc.property(bomb, ({ levels, fanout, leaf }) => {
        const lines = [`x0: &x0 [${Array(fanout).fill(JSON.stringify(leaf)).join(', ')}]`];
        for (let i = 1; i <= levels; i += 1) lines.push(`x${i}: &x${i} [${Array(fanout).fill(`*x${i - 1}`).join(', ')}]`);
        lines.push(`${stringField}: *x${levels}`);
        write(file, `${lines.join('\n')}\n`);
        const outcome = attempt(file, () => load(file));
        // Values once expanded: each list is itself plus `fanout` copies of the level below; each key is one more.
        let level = 1 + fanout;
        let expanded = 1 + 1 + level;
        for (let i = 1; i <= levels; i += 1) {
          level = 1 + fanout * level;
          expanded += 1 + level;
        }
        expanded += 1 + level;
        if (expanded > YAML_LIMITS.values) {
          expect('error' in outcome && outcome.error.problems.some((p) => /alias/i.test(p))).toBe(true);
        }
      }),
      PER_LOADER,
    );
  });

  it('refuses nesting deeper than the limit with its line, whatever the style, and never overflows the stack', () => {
    const styles = {
      flowList: (n: number) => `${stringField}: ${'['.repeat(n)}${']'.repeat(n)}\n`,
      flowMap: (n: number) => `${stringField}: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`,
      // n lines indented 0 to n - 1: past 1,000 levels the text alone passes the size limit.
      blockMap: (n: number) => `${Array.from({ length: Math.min(n, 1_000) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`,
      compactList: (n: number) => `${stringField}:\n  ${'- '.repeat(n)}1\n`,
    };
    const deep = fc.record({ style: fc.constantFrom(...(Object.keys(styles) as (keyof typeof styles)[])), depth: fc.oneof(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 80, max: 100_000 })) });
    fc.assert(
      fc.property(deep, ({ style, depth }) => {
        write(file, styles[style](depth));
        const outcome = attempt(file, () => load(file));
        // `depth` levels below the top-level mapping (blockMap: `depth` levels in all).
        // Deep block text can pass the size limit first: that refusal is as good.
        const tooDeep = 'error' in outcome && outcome.error.problems.some((p) => /nested deeper than \d+ levels at line \d+|bytes of YAML/.test(p));
        if (depth > YAML_LIMITS.depth) expect(tooDeep).toBe(true);
        if (depth < YAML_LIMITS.depth) expect(tooDeep).toBe(false);
      }),
      PER_LOADER,
    );
  });

  it('refuses a key given twice, also when YAML spells it two ways that JavaScript reads as one (80, "80", 0x50, 80.0)', () => {
    const spellings = (n: number) => [`${n}`, `"${n}"`, `'${n}'`, `0x${n.toString(16)}`, `0o${n.toString(8)}`, `+${n}`, `${n}.0`, `!!str ${n}`];
    const twice = fc.record({ n: fc.integer({ min: 0, max: 70_000 }), a: fc.nat(7), b: fc.nat(7), nested: fc.boolean() });
    fc.assert(
      fc.property(twice, ({ n, a, b, nested }) => {
        const [first, second] = [spellings(n)[a] as string, spellings(n)[b] as string];
        const pairs = `${first}: {}\n${second}: {}\n`;
        write(file, nested ? `${stringField}:\n${pairs.replace(/^/gm, '  ')}` : pairs);
        const outcome = attempt(file, () => load(file));
        expect('error' in outcome && outcome.error.problems.some((p) => /keys must be unique.*line \d+/.test(p))).toBe(true);
      }),
      PER_LOADER,
    );
  });

  it('refuses more than one document, naming the line of the second', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (one, two) => {
        write(file, `${yaml(one)}---\n${yaml(two)}`);
        const outcome = attempt(file, () => load(file));
        expect('error' in outcome && outcome.error.problems.some((p) => /multiple documents.*line \d+/.test(p))).toBe(true);
      }),
      PER_LOADER,
    );
  });

  it('never builds a function or a regular expression from a tag (!!js/function, !!python/...): the value is data, or refused', () => {
    const tags = ['!!js/function', '!!js/undefined', '!!js/regexp', '!<tag:yaml.org,2002:js/function>', '!!python/object/apply:os.system', '!!binary', '!!set', '!!omap', '!e!x', '!custom'];
    fc.assert(
      fc.property(fc.constantFrom(...tags), metaString, (tag, text) => {
        write(file, `${stringField}: ${tag} ${JSON.stringify(text)}\n`);
        const outcome = attempt(file, () => load(file));
        if ('value' in outcome) {
          const seen = JSON.stringify(outcome.value, (_, v: unknown) => (typeof v === 'function' || v instanceof RegExp ? 'NOT DATA' : v));
          expect(seen).not.toContain('NOT DATA');
        }
      }),
      PER_LOADER,
    );
  });

  it('refuses huge files and huge collections quickly, before the YAML library composes them', () => {
    const cases = [
      `${stringField}: "${'x'.repeat(YAML_LIMITS.bytes)}"\n`,
      `${stringField}: {${Array.from({ length: YAML_LIMITS.mapEntries + 1 }, (_, i) => `k${i}: 1`).join(', ')}}\n`,
    ];
    for (const text of cases) {
      write(file, text);
      const outcome = attempt(file, () => load(file));
      expect('error' in outcome && outcome.error.problems.length).toBe(1);
    }
  });
});

describe('regressions found by fuzzing the YAML layer', () => {
  const [scenario, goss] = loaders;
  const problemsOf = (text: string, loader: (typeof loaders)[number] = goss): readonly string[] => {
    write(loader.file, text);
    try {
      loader.load(loader.file);
    } catch (error) {
      if (error instanceof InputError) return error.problems;
      throw error;
    }
    throw new Error('expected an InputError');
  };

  it('100,000 levels of "[" used to overflow the stack inside the YAML library (and could abort the process): now refused at line 1', () => {
    expect(problemsOf(`command: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`)).toEqual([
      'not accepted as YAML: mappings and lists nested deeper than 64 levels at line 1, column 74',
    ]);
  });

  it('an alias inside its own anchor made a cyclic value, and the goss matcher parser recursed until the stack overflowed', () => {
    expect(problemsOf('command:\n  x: {stdout: &a {not: *a}}\n')).toEqual([
      'command.x.stdout.not: not accepted as YAML: alias *a is inside its own anchor &a, so its value would contain itself at line 2, column 24',
    ]);
  });

  it('a goss check named "__proto__" silently vanished (it became the prototype of the record): now refused', () => {
    expect(problemsOf('command:\n  __proto__: {exit-status: 0}\n')).toEqual([
      'command.__proto__: "__proto__" cannot be a key (JavaScript would take it for the prototype of the mapping) at line 2, column 3',
    ]);
  });

  it('80 and "80" are one JavaScript key: the second port check silently replaced the first', () => {
    expect(problemsOf('port:\n  80: {listening: true}\n  "80": {listening: false}\n')).toEqual([
      'port.80: not valid YAML: Map keys must be unique; 80 and "80" are the same key "80" at line 3, column 3',
    ]);
  });

  it('a ten-line billion laughs is refused at the alias that crosses the limit, with its line', () => {
    const lines = ['x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i += 1) lines.push(`x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(', ')}]`);
    expect(problemsOf(`${lines.join('\n')}\n`, scenario)).toEqual(['x5: not accepted as YAML: aliases expand to more than 500000 values at line 6, column 9']);
  });

  it('a billion laughs inside an ordered map (!!omap, a list of pairs) is counted too', () => {
    const items = ['  - x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 8; i += 1) items.push(`  - x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(', ')}]`);
    expect(problemsOf(`description: !!omap\n${items.join('\n')}\n`, scenario)).toEqual([
      'description[5]: not accepted as YAML: aliases expand to more than 500000 values at line 7, column 13',
    ]);
  });

  it('an alias to nothing names its line', () => {
    expect(problemsOf('package: *nginx\n')).toEqual(['package: not valid YAML: Unresolved alias *nginx, no anchor &nginx comes before it at line 1, column 10']);
  });

  it('control characters from the file are escaped in the message, never printed raw', () => {
    const [problem] = problemsOf('command:\n  "\\e[2J\\0": {exit-status: true}\n');
    expect(problem).toBe('command.\\u001b[2J\\u0000.exit-status: expected a whole number, or a matcher map such as {lt: 400}, got true');
  });

  it('a list of 100,001 entries is refused at its first line (the whole YAML layer is shared, so one loader is enough)', () => {
    expect(problemsOf(`checks: [${'1,'.repeat(YAML_LIMITS.listEntries + 1)}]\n`, scenario)).toEqual([
      'not accepted as YAML: a list of more than 100000 entries, starting at line 1, column 9',
    ]);
  });

  it('an empty key was named by nothing: ": unknown resource type"', () => {
    expect(problemsOf('"": []\n')).toEqual([
      '"": unknown resource type, expected one of addr, command, dns, file, gossfile, group, http, interface, kernel-param, matching, mount, package, port, process, service, user',
    ]);
  });

  it('a list of 1,000,000 entries (6 MB) is refused by its size, without being read whole', () => {
    expect(problemsOf(`checks:\n${'  - 1\n'.repeat(1_000_000)}`, scenario)).toEqual([
      `(top level): expected at most ${YAML_LIMITS.bytes} bytes of YAML (a hand-written file is far smaller), the file is larger`,
    ]);
  });

  it('a file of 2 MB is refused without being read whole', () => {
    expect(problemsOf(`description: "${'x'.repeat(2_000_000)}"\n`, scenario)).toEqual([
      `(top level): expected at most ${YAML_LIMITS.bytes} bytes of YAML (a hand-written file is far smaller), the file is larger`,
    ]);
  });
});
