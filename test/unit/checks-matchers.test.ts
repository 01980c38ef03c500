import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeMatcher, matches } from '../../lab/checks/matcher-eval.ts';
import { MatcherSyntaxError, parseMatcher, parseMatcherList, parsePattern, type Matcher } from '../../lab/checks/matchers.ts';
import { matcherRefusal } from '../fixtures/checks/matcher-refusal.ts';

const holds = (pattern: unknown, text: string, scalar: 'pattern' | 'equal' = 'pattern') => matches(parseMatcher(pattern, scalar), text);

const syntaxError = (value: unknown, scalar: 'pattern' | 'equal' = 'pattern') => matcherRefusal(() => parseMatcherList(value, scalar), value);

describe('goss patterns', () => {
  it('reads a plain string as "contains"', () => {
    expect(holds('ok', 'status ok\n')).toBe(true);
    expect(holds('ok', 'OK')).toBe(false);
  });

  it('reads /re/ as a regular expression whose ^ and $ anchor at lines, as goss matches line by line', () => {
    expect(holds('/^1$/', 'header\n1\n')).toBe(true);
    expect(holds('/^1$/', '10\n')).toBe(false);
    expect(holds('/5\\d\\d/', 'got 502')).toBe(true);
  });

  it('negates with a leading !, for strings and regular expressions', () => {
    expect(holds('!error', 'all good')).toBe(true);
    expect(holds('!error', 'an error')).toBe(false);
    expect(holds('!/^5/', '200')).toBe(true);
    expect(holds('!/^5/', '503')).toBe(false);
  });

  it('takes the rest literally after a leading backslash', () => {
    expect(parsePattern('\\!important')).toEqual({ op: 'contain-substring', value: '!important' });
    expect(holds('\\/tmp/', 'cd /tmp/')).toBe(true);
  });

  it('turns a leading Go-style (?i) into the i flag', () => {
    expect(holds('/(?i)^thanks/', 'THANKS, received')).toBe(true);
  });

  it('keeps a lone "/" a plain string', () => {
    expect(parsePattern('/')).toEqual({ op: 'contain-substring', value: '/' });
  });

  it('reads YAML numbers and booleans as the text they spell', () => {
    expect(parseMatcherList([1, true], 'pattern')).toEqual([
      { op: 'contain-substring', value: '1' },
      { op: 'contain-substring', value: 'true' },
    ]);
  });

  it('takes a single scalar or map as a one-element list', () => {
    expect(parseMatcherList('ok', 'pattern')).toEqual([{ op: 'contain-substring', value: 'ok' }]);
    expect(parseMatcherList({ 'have-prefix': 'HTTP' }, 'pattern')).toEqual([{ op: 'have-prefix', value: 'HTTP' }]);
  });

  it('reads a scalar as an exact value where goss compares values (package versions)', () => {
    expect(holds('1.22.1-9', '1.22.1-9+deb12u9', 'equal')).toBe(false);
    expect(holds('1.22.1-9+deb12u9', '1.22.1-9+deb12u9', 'equal')).toBe(true);
  });
});

describe('gomega-style map matchers', () => {
  it('supports the string matchers', () => {
    expect(holds({ 'contain-substring': 'desk' }, 'IT service desk')).toBe(true);
    expect(holds({ 'match-regexp': '^IT' }, 'IT service desk')).toBe(true);
    expect(holds({ equal: 'ok\n' }, 'ok\n')).toBe(true);
    expect(holds({ 'have-prefix': 'IT' }, 'IT service desk')).toBe(true);
    expect(holds({ 'have-suffix': 'desk' }, 'IT service desk')).toBe(true);
  });

  it('combines with not, and, or; a bare scalar inside a map means equal, as in goss', () => {
    expect(holds({ not: 'FAIL' }, 'FAILED')).toBe(true);
    expect(holds({ not: { 'contain-substring': 'FAIL' } }, 'FAILED')).toBe(false);
    expect(holds({ and: [{ 'have-prefix': 'a' }, { 'have-suffix': 'z' }] }, 'abcz')).toBe(true);
    expect(holds({ or: ['x', { 'have-prefix': 'a' }] }, 'abc')).toBe(true);
    expect(holds({ or: ['x', 'y'] }, 'abc')).toBe(false);
  });

  it('refuses a matcher goss does not have, naming it and listing what goss has', () => {
    const error = syntaxError(['ok', { 'contains-element': 'x' }]);
    expect(error.path).toEqual([1, 'contains-element']);
    expect(error.message).toMatch(/unknown matcher, expected one of equal, have-prefix, .*contain-element, contain-elements, consist-of, .*not, and, or$/);
  });

  it('refuses malformed matchers with the place and what was expected', () => {
    expect(syntaxError({ not: { and: [] } }).path).toEqual(['not', 'and']);
    expect(syntaxError({ not: { and: [] } }).message).toMatch(/expected a non-empty list of matchers/);
    expect(syntaxError({ 'have-prefix': 'a', 'have-suffix': 'b' }).message).toMatch(/exactly one key .* got keys have-prefix, have-suffix/);
    expect(syntaxError([null]).message).toMatch(/expected a pattern string .* got nothing/);
    expect(syntaxError({ 'match-regexp': ['x'] }).message).toMatch(/expected a string, got a list/);
  });

  it('refuses an invalid regular expression when loading, not when checking', () => {
    const error = syntaxError(['/[/']);
    expect(error.path).toEqual([0]);
    expect(error.message).toMatch(/expected a valid regular expression, got \/\[\//);
  });
});

describe('describeMatcher', () => {
  it('says what was expected in words that follow "expected to"', () => {
    expect(describeMatcher(parsePattern('!/^5/'))).toBe('not match /^5/');
    expect(describeMatcher(parseMatcher({ and: ['a', { 'contain-substring': 'b' }] }, 'pattern'))).toBe('(equal "a" and contain "b")');
  });
});

describe('matcher properties', () => {
  // A small alphabet with goss's special characters, so patterns and texts collide often.
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '!', '/', '\\', '\n', '.', '*', '[') , maxLength: 12 });

  it('a plain string matcher passes exactly when the text contains it', () => {
    const plain = text.filter((s) => !/^[!\\]/.test(s) && !(s.length >= 2 && s.startsWith('/') && s.endsWith('/')));
    fc.assert(fc.property(plain, text, (pattern, t) => holds(pattern, t) === t.includes(pattern)));
  });

  it('an escaped string passes exactly when the text contains the rest, whatever it starts with', () => {
    fc.assert(fc.property(text, text, (literal, t) => holds(`\\${literal}`, t) === t.includes(literal)));
  });

  it('"!x" is the negation of "x", and both load or both are refused', () => {
    fc.assert(
      fc.property(text, text, (pattern, t) => {
        let plain: Matcher;
        try {
          plain = parsePattern(pattern);
        } catch {
          expect(() => parsePattern(`!${pattern}`)).toThrow(MatcherSyntaxError);
          return;
        }
        expect(matches(parsePattern(`!${pattern}`), t)).toBe(!matches(plain, t));
      }),
    );
  });

  it('a regular expression of an escaped literal passes exactly when the text contains the literal', () => {
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    fc.assert(fc.property(text, text, (literal, t) => holds(`/${escape(literal)}/`, t) === t.includes(literal)));
  });

  it('and/or of two patterns agree with && and ||', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(word, word, text, (x, y, t) => {
        const a = { 'contain-substring': x };
        const b = { 'contain-substring': y };
        expect(holds({ and: [a, b] }, t)).toBe(t.includes(x) && t.includes(y));
        expect(holds({ or: [a, b] }, t)).toBe(t.includes(x) || t.includes(y));
      }),
    );
  });
});
