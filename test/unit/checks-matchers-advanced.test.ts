import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExpectation } from '../../lab/checks/goss-expect.ts';
import { describeMatcher, matches } from '../../lab/checks/matcher-eval.ts';
import { parseMatcher } from '../../lab/checks/matchers.ts';
import { matcherRefusal } from '../fixtures/checks/matcher-refusal.ts';
import { compareSemVer, parseSemVer, parseSemVerRange } from '../../lab/checks/semver.ts';

/** goss's advanced matchers, with the examples of goss's own manual where it gives them. */

const holds = (matcher: unknown, actual: unknown) => matches(parseMatcher(matcher, 'equal'), actual);

const refusal = (value: unknown) => matcherRefusal(() => parseMatcher(value, 'equal'), value);

describe('goss default matchers', () => {
  it('compares a number with what reads as that number, a string with what prints as it', () => {
    expect(holds(128, '128\n')).toBe(true);
    expect(holds(42, '42.0')).toBe(true);
    expect(holds('55', 55)).toBe(true);
    expect(holds(true, true)).toBe(true);
    expect(holds(true, 'true')).toBe(false);
  });

  it('reads a list as "contains these", each by an element of its own (the manual\'s basic_array examples)', () => {
    expect(holds(['group1', 'group2'], ['group1', 'group2', 'group3'])).toBe(true);
    expect(holds(['group1', 'group2', 'group2'], ['group1', 'group2', 'group3'])).toBe(false);
  });
});

describe('array matchers', () => {
  const content = ['foo', 'bar', 'moo'];

  it('passes the manual\'s example', () => {
    expect(
      holds(
        {
          and: [
            { 'contain-elements': ['foo', 'bar'] },
            ['foo', 'bar'],
            { equal: ['foo', 'bar', 'moo'] },
            { 'consist-of': ['foo', { 'have-prefix': 'm' }, 'bar'] },
            { 'contain-element': { 'have-prefix': 'b' } },
          ],
        },
        content,
      ),
    ).toBe(true);
  });

  it('fails what the list does not hold', () => {
    expect(holds({ 'contain-element': 'baz' }, content)).toBe(false);
    expect(holds({ 'consist-of': ['foo', 'bar'] }, content)).toBe(false);
    expect(holds({ 'consist-of': ['foo', 'foo', 'bar'] }, ['foo', 'bar', 'bar'])).toBe(false);
    expect(holds({ equal: ['moo', 'bar', 'foo'] }, content)).toBe(false);
  });

  it('splits text into lines, as goss turns a command\'s output or a file into an array', () => {
    expect(holds({ 'contain-element': { 'match-regexp': '^b' } }, 'foo\nbar\n')).toBe(true);
    expect(holds({ 'consist-of': ['foo', 'bar'] }, 'foo\nbar\n')).toBe(true);
    expect(holds({ 'have-len': 2 }, ['a', 'b'])).toBe(true);
  });
});

describe('numeric matchers', () => {
  it('compare numbers, and text that reads as one (a kernel parameter)', () => {
    expect(holds({ and: [42, 42.0, { gt: 40 }, { lt: 45 }, { ge: 42 }, { le: 42 }] }, '42')).toBe(true);
    expect(holds({ gt: 200 }, '128')).toBe(false);
    expect(holds({ lt: 10 }, 'ten')).toBe(false);
  });

  it('refuse a bound that is not a number', () => {
    expect(refusal({ gt: '10' }).message).toBe('expected a number, got "10"');
  });
});

describe('misc matchers', () => {
  it('have-len counts a list, a string or a map', () => {
    expect(holds({ 'have-len': 3 }, 'abc')).toBe(true);
    expect(holds({ 'have-len': 1 }, { a: 1 })).toBe(true);
    expect(refusal({ 'have-len': -1 }).message).toMatch(/expected a length/);
  });

  it('have-key looks at a map\'s keys', () => {
    expect(holds({ and: [{ 'have-key': 'baz' }, { not: { 'have-key': 'nope' } }] }, { foo: 'bar', baz: 'bing' })).toBe(true);
  });

  it('have-patterns applies goss patterns to text', () => {
    expect(holds({ 'have-patterns': ['foo', '!bar', '/[Gg]oss/'] }, 'foo\nGoss\n')).toBe(true);
    expect(holds({ 'have-patterns': ['foo', '!bar'] }, 'foo bar')).toBe(false);
  });

  it('gjson reads paths in JSON text (the manual\'s example)', () => {
    const json = '{"foo": "bar", "moo": {"nested": "cow"}, "count": "15", "list": [1, 2]}';
    expect(holds({ gjson: { 'moo.nested': 'cow', foo: { 'have-prefix': 'b' }, count: { le: 25 }, '@this': { 'have-key': 'foo' }, 'list.#': 2, 'list.1': 2 } }, json)).toBe(true);
    expect(holds({ gjson: { 'moo.missing': 'cow' } }, json)).toBe(false);
    expect(holds({ gjson: { foo: 'bar' } }, 'not json')).toBe(false);
  });

  it('gjson refuses path syntax patchlab does not read, naming the path', () => {
    const error = refusal({ gjson: { 'friends.#(last=="Murphy").first': 'Dale' } });
    expect(error.path).toEqual(['gjson', 'friends.#(last=="Murphy").first']);
    expect(error.message).toMatch(/"#" is supported only at the end|"\(" is not supported/);
  });
});

describe('semver-constraint', () => {
  it('passes the manual\'s examples', () => {
    expect(holds({ 'semver-constraint': '>1.0.0 <2.0.0 !=1.5.0' }, ['1.0.1', '1.9.9'])).toBe(true);
    expect(holds({ not: { 'semver-constraint': '>1.0.0 <2.0.0 !=1.5.0' } }, ['1.0.1', '1.5.0', '1.9.9'])).toBe(true);
    expect(holds({ 'semver-constraint': '>5.0.0 || < 1.5.0' }, '1.0.1')).toBe(true);
  });

  it('reads a Debian version that is semver (1.22.1-9+deb12u9) and fails one that is not (2.36-9)', () => {
    expect(holds({ 'semver-constraint': '>=1.22.0 <2.0.0' }, ['1.22.1-9+deb12u9'])).toBe(true);
    expect(holds({ 'semver-constraint': '>=2.0.0' }, ['2.36-9+deb12u4'])).toBe(false);
  });

  it('refuses wildcards and malformed ranges when loading', () => {
    expect(refusal({ 'semver-constraint': '1.x' }).message).toMatch(/wildcard versions are not supported/);
    expect(refusal({ 'semver-constraint': '>=1.0' }).message).toMatch(/MAJOR\.MINOR\.PATCH/);
    expect(typeof parseSemVerRange('>1.0.0 ||')).toBe('string');
  });

  it('orders versions as semver does: a pre-release below its release, numeric identifiers below others', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    const parsed = order.map((v) => parseSemVer(v));
    for (let i = 1; i < parsed.length; i++) expect(compareSemVer(parsed[i - 1]!, parsed[i]!), `${order[i - 1]} < ${order[i]}`).toBe(-1);
  });

  it('compares like numbers on plain versions (property)', () => {
    const part = fc.integer({ min: 0, max: 50 });
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.tuple(part, part, part), (a, b) => {
        const sign = Math.sign(a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
        expect(compareSemVer(parseSemVer(a.join('.'))!, parseSemVer(b.join('.'))!)).toBe(sign);
      }),
    );
  });
});

describe('expectations of an attribute', () => {
  it('take a bare value of the attribute\'s shape, or a matcher map', () => {
    expect(parseExpectation(true, 'boolean')).toEqual({ op: 'equal', value: true });
    expect(parseExpectation({ lt: 400 }, 'integer')).toEqual({ op: 'lt', value: 400 });
    expect(parseExpectation(['www-data'], 'list')).toEqual({ op: 'contain-elements', matchers: [{ op: 'equal', value: 'www-data' }] });
  });

  it('refuse a bare value of another shape, saying what was expected', () => {
    expect(() => parseExpectation('yes', 'boolean')).toThrow('expected true or false, or a matcher map such as {not: true}, got "yes"');
    expect(() => parseExpectation('www-data', 'list')).toThrow('expected a list, or a matcher map such as {contain-element: x}, got "www-data"');
    expect(() => parseExpectation(1.5, 'integer')).toThrow('expected a whole number');
  });
});

describe('what a failure says', () => {
  it('describes each matcher in words after "expected to"', () => {
    const said = (m: unknown) => describeMatcher(parseMatcher(m, 'equal'));
    expect(said({ lt: 95 })).toBe('be less than 95');
    expect(said({ 'contain-element': { 'have-prefix': 'b' } })).toBe('contain an element that would start with "b"');
    expect(said({ 'consist-of': ['a', { 'have-suffix': 'z' }] })).toBe('consist of (equal "a"), (end with "z")');
    expect(said({ 'semver-constraint': '>1.0.0' })).toBe('satisfy semver ">1.0.0"');
    expect(said({ 'have-len': 3 })).toBe('have length 3');
  });
});
