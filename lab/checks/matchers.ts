import { parseGjsonPath } from './gjson.ts';
import { compileRegex } from './goss-regex.ts';
import { isMap, type Value } from './matcher-values.ts';
import { parseSemVerRange } from './semver.ts';

/**
 * goss's matcher vocabulary, read from a goss file (evaluation is in matcher-eval.ts).
 *
 * Patterns (goss's default for text such as an http body or a command's stdout), one string each:
 *   "foo"      the text contains foo
 *   "/re/"     the text matches the regular expression re
 *   "!x"       negates the pattern x ("!foo", "!/re/")
 *   "\!foo"    a leading backslash escapes: the rest is a literal substring ("!foo")
 * goss matches patterns line by line; patchlab matches the whole text, with regular expressions
 * in multiline mode so ^ and $ still anchor at lines. The only visible difference: a pattern
 * may span lines here.
 *
 * Advanced matchers (goss's gomega-style maps), one key each:
 *   string:  {equal: x} {have-prefix: x} {have-suffix: x} {match-regexp: re} {contain-substring: x}
 *   numeric: {gt: n} {ge: n} {lt: n} {le: n}
 *   array:   {contain-element: m} {contain-elements: [m, ...]} {consist-of: [m, ...]}
 *   misc:    {have-len: n} {have-key: m} {have-patterns: [pattern, ...]} {semver-constraint: range}
 *            {gjson: {path: m, ...}} {not: m} {and: [m, ...]} {or: [m, ...]}
 * Inside a map, and for attributes that are not text, a bare value is goss's default matcher: a
 * string or number equals, a list contains those elements.
 *
 * Regular expressions are JavaScript's, not Go's; a leading (?i), (?m) or (?s) group, common
 * in goss files, is turned into the equivalent flag.
 */
export type Matcher =
  | { op: 'equal'; value: Value }
  | { op: TextOp; value: string }
  | { op: NumericOp; value: number }
  | { op: 'have-len'; value: number }
  | { op: 'semver-constraint'; value: string }
  | { op: 'not' | 'contain-element' | 'have-key'; matcher: Matcher }
  | { op: 'and' | 'or' | 'contain-elements' | 'consist-of' | 'have-patterns'; matchers: Matcher[] }
  | { op: 'gjson'; paths: { path: string; matcher: Matcher }[] };

export type TextOp = 'contain-substring' | 'match-regexp' | 'have-prefix' | 'have-suffix';
export type NumericOp = 'gt' | 'ge' | 'lt' | 'le';

const TEXT_OPS: readonly string[] = ['have-prefix', 'have-suffix', 'match-regexp', 'contain-substring'];
const NUMERIC_OPS: readonly string[] = ['gt', 'ge', 'lt', 'le'];
export const MATCHERS = [
  'equal', ...TEXT_OPS, ...NUMERIC_OPS, 'have-len', 'contain-element', 'contain-elements', 'consist-of',
  'have-key', 'have-patterns', 'semver-constraint', 'gjson', 'not', 'and', 'or',
] as const;

/** How a bare scalar reads: a goss pattern (text attributes) or a value to equal (everything else). */
export type ScalarMeaning = 'pattern' | 'equal';

/** A matcher that cannot be understood; `path` is relative to the attribute that holds it. */
export class MatcherSyntaxError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
    this.name = 'MatcherSyntaxError';
  }
}

/**
 * A text attribute's value as a list of matchers that must all hold: a list, a single map
 * matcher, or a single scalar (taken as a one-element list).
 */
export function parseMatcherList(value: unknown, scalar: ScalarMeaning): Matcher[] {
  if (Array.isArray(value)) return value.map((item, i) => within(i, () => parseMatcher(item, scalar)));
  return [parseMatcher(value, scalar)];
}

export function parseMatcher(value: unknown, scalar: ScalarMeaning): Matcher {
  const text = scalarText(value);
  if (text !== undefined) return scalar === 'pattern' ? parsePattern(text) : { op: 'equal', value: value as string | number | boolean };
  if (isMap(value)) return parseMapMatcher(value);
  if (Array.isArray(value)) return { op: 'contain-elements', matchers: value.map((item, i) => within(i, () => parseMatcher(item, 'equal'))) };
  throw new MatcherSyntaxError(
    [],
    scalar === 'pattern'
      ? `expected a pattern string such as "ok", "/re/" or "!text", or a matcher map such as {contain-substring: ok}, got ${describeValue(value)}`
      : `expected a value or a matcher map such as {not: x}, got ${describeValue(value)}`,
  );
}

export function parsePattern(pattern: string): Matcher {
  if (pattern.startsWith('\\')) return { op: 'contain-substring', value: pattern.slice(1) };
  if (pattern.startsWith('!')) return { op: 'not', matcher: parsePattern(pattern.slice(1)) };
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) return regexMatcher(pattern.slice(1, -1));
  return { op: 'contain-substring', value: pattern };
}

function parseMapMatcher(map: Record<string, unknown>): Matcher {
  const keys = Object.keys(map);
  if (keys.length !== 1) {
    throw new MatcherSyntaxError([], `expected a matcher map with exactly one key (one of ${MATCHERS.join(', ')}), got ${keys.length === 0 ? 'an empty map' : `keys ${keys.join(', ')}`}`);
  }
  const op = keys[0] as string;
  const arg = map[op];
  return within(op, () => parseOperator(op, arg));
}

function parseOperator(op: string, arg: unknown): Matcher {
  if (op === 'equal') {
    if (arg === undefined || arg === null) throw new MatcherSyntaxError([], 'expected a value to equal, got nothing');
    return { op, value: arg as Value };
  }
  if (TEXT_OPS.includes(op)) {
    const text = scalarText(arg);
    if (text === undefined) throw new MatcherSyntaxError([], `expected a string, got ${describeValue(arg)}`);
    return op === 'match-regexp' ? regexMatcher(text) : { op: op as TextOp, value: text };
  }
  if (NUMERIC_OPS.includes(op)) {
    if (typeof arg !== 'number' || !Number.isFinite(arg)) throw new MatcherSyntaxError([], `expected a number, got ${describeValue(arg)}`);
    return { op: op as NumericOp, value: arg };
  }
  switch (op) {
    case 'have-len':
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) throw new MatcherSyntaxError([], `expected a length (0 or more), got ${describeValue(arg)}`);
      return { op, value: arg };
    case 'semver-constraint': {
      if (typeof arg !== 'string') throw new MatcherSyntaxError([], `expected a semver range such as ">1.0.0 <2.0.0", got ${describeValue(arg)}`);
      const range = parseSemVerRange(arg);
      if (typeof range === 'string') throw new MatcherSyntaxError([], `expected a semver range such as ">1.0.0 <2.0.0": ${range}`);
      return { op, value: arg };
    }
    case 'not':
    case 'contain-element':
    case 'have-key':
      return { op, matcher: parseMatcher(arg, 'equal') };
    case 'and':
    case 'or':
      return { op, matchers: matcherItems(arg, 1, (item) => parseMatcher(item, 'equal')) };
    case 'contain-elements':
    case 'consist-of':
      return { op, matchers: matcherItems(arg, 0, (item) => parseMatcher(item, 'equal')) };
    case 'have-patterns':
      return { op, matchers: matcherItems(arg, 1, patternItem) };
    case 'gjson':
      return { op, paths: gjsonPaths(arg) };
  }
  throw new MatcherSyntaxError([], `unknown matcher, expected one of ${MATCHERS.join(', ')}`);
}

function matcherItems(arg: unknown, least: number, parse: (item: unknown) => Matcher): Matcher[] {
  if (!Array.isArray(arg) || arg.length < least) {
    throw new MatcherSyntaxError([], `expected a ${least > 0 ? 'non-empty ' : ''}list of matchers, got ${describeValue(arg)}`);
  }
  return arg.map((item, i) => within(i, () => parse(item)));
}

function patternItem(item: unknown): Matcher {
  const text = scalarText(item);
  if (text === undefined) throw new MatcherSyntaxError([], `expected a pattern string such as "ok", "/re/" or "!text", got ${describeValue(item)}`);
  return parsePattern(text);
}

function gjsonPaths(arg: unknown): { path: string; matcher: Matcher }[] {
  if (!isMap(arg) || Object.keys(arg).length === 0) throw new MatcherSyntaxError([], `expected a map of gjson paths to matchers, got ${describeValue(arg)}`);
  return Object.entries(arg).map(([path, value]) =>
    within(path, () => {
      const problem = parseGjsonPath(path);
      if (typeof problem === 'string') throw new MatcherSyntaxError([], problem);
      return { path, matcher: parseMatcher(value, 'equal') };
    }),
  );
}

function regexMatcher(source: string): Matcher {
  try {
    compileRegex(source);
  } catch (error) {
    throw new MatcherSyntaxError([], `expected a valid regular expression, got /${source}/: ${(error as Error).message}`);
  }
  return { op: 'match-regexp', value: source };
}

/** YAML turns `- 1` and `- true` into a number and a boolean; goss reads them as the text they spell. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : JSON.stringify(value);
}

export function within<T>(step: string | number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MatcherSyntaxError) throw new MatcherSyntaxError([step, ...error.path], error.message);
    throw error;
  }
}

