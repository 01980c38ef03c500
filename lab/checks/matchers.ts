/**
 * goss's matcher vocabulary, as far as patchlab supports it.
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
 * Map matchers (goss's gomega-style advanced matchers), one key each, applied to the whole text:
 *   {contain-substring: x} {match-regexp: re} {equal: x} {have-prefix: x} {have-suffix: x}
 *   {not: m} {and: [m, ...]} {or: [m, ...]}
 * Inside a map a plain scalar means "equal", as in goss. goss's array, numeric, semver and gjson
 * matchers (contain-element, gt, semver-constraint, ...) are rejected with an error naming them:
 * they judge lists and numbers, and the attributes patchlab checks are text.
 *
 * Regular expressions are JavaScript's, not Go's; a leading (?i), (?m) or (?s) group, common
 * in goss files, is turned into the equivalent flag.
 */
export type Matcher =
  | { op: TextOp; value: string }
  | { op: 'not'; matcher: Matcher }
  | { op: 'and' | 'or'; matchers: Matcher[] };

type TextOp = 'contain-substring' | 'match-regexp' | 'equal' | 'have-prefix' | 'have-suffix';

const TEXT_OPS: readonly TextOp[] = ['contain-substring', 'match-regexp', 'equal', 'have-prefix', 'have-suffix'];
const MAP_OPS = [...TEXT_OPS, 'not', 'and', 'or'] as const;

/** How a bare scalar reads: a goss pattern (text attributes) or an exact value (package versions). */
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
 * An attribute's value as a list of matchers that must all hold: a list, a single map matcher,
 * or a single scalar (taken as a one-element list).
 */
export function parseMatcherList(value: unknown, scalar: ScalarMeaning): Matcher[] {
  if (Array.isArray(value)) return value.map((item, i) => within(i, () => parseMatcher(item, scalar)));
  return [parseMatcher(value, scalar)];
}

export function parseMatcher(value: unknown, scalar: ScalarMeaning): Matcher {
  const text = scalarText(value);
  if (text !== undefined) return scalar === 'pattern' ? parsePattern(text) : { op: 'equal', value: text };
  if (isPlainObject(value)) return parseMapMatcher(value);
  throw new MatcherSyntaxError([], `expected a pattern string such as "ok", "/re/" or "!text", or a matcher map such as {contain-substring: ok}, got ${describeValue(value)}`);
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
    throw new MatcherSyntaxError([], `expected a matcher map with exactly one key (one of ${MAP_OPS.join(', ')}), got ${keys.length === 0 ? 'an empty map' : `keys ${keys.join(', ')}`}`);
  }
  const op = keys[0] as string;
  const arg = map[op];
  return within(op, () => {
    if (op === 'not') return { op, matcher: parseMatcher(arg, 'equal') };
    if (op === 'and' || op === 'or') {
      if (!Array.isArray(arg) || arg.length === 0) throw new MatcherSyntaxError([], `expected a non-empty list of matchers, got ${describeValue(arg)}`);
      return { op, matchers: arg.map((item, i) => within(i, () => parseMatcher(item, 'equal'))) };
    }
    if (!(TEXT_OPS as readonly string[]).includes(op)) {
      throw new MatcherSyntaxError([], `unsupported matcher, expected one of ${MAP_OPS.join(', ')}`);
    }
    const text = scalarText(arg);
    if (text === undefined) throw new MatcherSyntaxError([], `expected a string, got ${describeValue(arg)}`);
    return op === 'match-regexp' ? regexMatcher(text) : { op: op as TextOp, value: text };
  });
}

function regexMatcher(source: string): Matcher {
  try {
    compile(source);
  } catch (error) {
    throw new MatcherSyntaxError([], `expected a valid regular expression, got /${source}/: ${(error as Error).message}`);
  }
  return { op: 'match-regexp', value: source };
}

function compile(source: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(source);
  const flags = new Set(['m', ...(inline?.[1] ?? '')]);
  return new RegExp(inline ? source.slice(inline[0].length) : source, [...flags].join(''));
}

export function matches(matcher: Matcher, text: string): boolean {
  switch (matcher.op) {
    case 'contain-substring':
      return text.includes(matcher.value);
    case 'match-regexp':
      return compile(matcher.value).test(text);
    case 'equal':
      return text === matcher.value;
    case 'have-prefix':
      return text.startsWith(matcher.value);
    case 'have-suffix':
      return text.endsWith(matcher.value);
    case 'not':
      return !matches(matcher.matcher, text);
    case 'and':
      return matcher.matchers.every((m) => matches(m, text));
    case 'or':
      return matcher.matchers.some((m) => matches(m, text));
  }
}

/** Reads after "expected to": `contain "ok"`, `not match /5\d\d/`. */
export function describeMatcher(matcher: Matcher): string {
  switch (matcher.op) {
    case 'contain-substring':
      return `contain ${JSON.stringify(matcher.value)}`;
    case 'match-regexp':
      return `match /${matcher.value}/`;
    case 'equal':
      return `equal ${JSON.stringify(matcher.value)}`;
    case 'have-prefix':
      return `start with ${JSON.stringify(matcher.value)}`;
    case 'have-suffix':
      return `end with ${JSON.stringify(matcher.value)}`;
    case 'not':
      return `not ${describeMatcher(matcher.matcher)}`;
    case 'and':
    case 'or':
      return `(${matcher.matchers.map(describeMatcher).join(` ${matcher.op} `)})`;
  }
}

/** The first few hundred characters of what was found, quoted, for a failure message. */
export function excerpt(text: string, limit = 200): string {
  return text.length <= limit ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, limit))}... (${text.length} characters)`;
}

/** YAML turns `- 1` and `- true` into a number and a boolean; goss reads them as the text they spell. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : JSON.stringify(value);
}

function within<T>(step: string | number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MatcherSyntaxError) throw new MatcherSyntaxError([step, ...error.path], error.message);
    throw error;
  }
}
