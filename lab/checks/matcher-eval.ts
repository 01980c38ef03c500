import { gjsonGet } from './gjson.ts';
import { compileRegex } from './goss-regex.ts';
import { asList, asNumber, asText, assignDistinct, isMap, sameValue, showValue } from './matcher-values.ts';
import type { Matcher } from './matchers.ts';
import { parseSemVer, parseSemVerRange, satisfies } from './semver.ts';

/** Whether a host's value (or a `matching` resource's content) satisfies the matcher, as goss judges it. */
export function matches(matcher: Matcher, actual: unknown): boolean {
  switch (matcher.op) {
    case 'equal':
      return sameValue(matcher.value, actual);
    case 'contain-substring':
      return asText(actual)?.includes(matcher.value) ?? false;
    case 'match-regexp': {
      const text = asText(actual);
      return text !== undefined && compileRegex(matcher.value).test(text);
    }
    case 'have-prefix':
      return asText(actual)?.startsWith(matcher.value) ?? false;
    case 'have-suffix':
      return asText(actual)?.endsWith(matcher.value) ?? false;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return compareNumber(matcher.op, asNumber(actual), matcher.value);
    case 'have-len':
      return lengthOf(actual) === matcher.value;
    case 'have-key':
      return isMap(actual) && Object.keys(actual).some((key) => matches(matcher.matcher, key));
    case 'contain-element':
      return asList(actual)?.some((element) => matches(matcher.matcher, element)) ?? false;
    case 'contain-elements': {
      const list = asList(actual);
      return list !== undefined && assignDistinct(matcher.matchers, list, matches);
    }
    case 'consist-of': {
      const list = asList(actual);
      return list !== undefined && list.length === matcher.matchers.length && assignDistinct(matcher.matchers, list, matches);
    }
    case 'have-patterns': {
      const text = asText(actual) ?? asList(actual)?.join('\n');
      return text !== undefined && matcher.matchers.every((pattern) => matches(pattern, text));
    }
    case 'semver-constraint':
      return satisfiesAll(actual, matcher.value);
    case 'gjson':
      return matcher.paths.every(({ path, matcher: inner }) => {
        const found = gjsonGet(actual, path);
        return found.found && matches(inner, found.value);
      });
    case 'not':
      return !matches(matcher.matcher, actual);
    case 'and':
      return matcher.matchers.every((m) => matches(m, actual));
    case 'or':
      return matcher.matchers.some((m) => matches(m, actual));
  }
}

function compareNumber(op: 'gt' | 'ge' | 'lt' | 'le', actual: number | undefined, bound: number): boolean {
  if (actual === undefined) return false;
  return op === 'gt' ? actual > bound : op === 'ge' ? actual >= bound : op === 'lt' ? actual < bound : actual <= bound;
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  return isMap(value) ? Object.keys(value).length : undefined;
}

/** goss: every version the host reports must satisfy the range; one that is not semver fails it. */
function satisfiesAll(actual: unknown, range: string): boolean {
  const parsed = parseSemVerRange(range);
  const versions = typeof actual === 'string' ? [actual] : Array.isArray(actual) ? actual : [];
  if (typeof parsed === 'string' || versions.length === 0) return false;
  return versions.every((v) => {
    const version = typeof v === 'string' ? parseSemVer(v) : undefined;
    return version !== undefined && satisfies(version, parsed);
  });
}

/** Reads after "expected to": `contain "ok"`, `not match /5\d\d/`, `be less than 95`. */
export function describeMatcher(matcher: Matcher): string {
  const each = (matchers: readonly Matcher[]) => matchers.map((m) => `(${describeMatcher(m)})`).join(', ');
  switch (matcher.op) {
    case 'equal':
      return `equal ${showValue(matcher.value)}`;
    case 'contain-substring':
      return `contain ${JSON.stringify(matcher.value)}`;
    case 'match-regexp':
      return `match /${matcher.value}/`;
    case 'have-prefix':
      return `start with ${JSON.stringify(matcher.value)}`;
    case 'have-suffix':
      return `end with ${JSON.stringify(matcher.value)}`;
    case 'gt':
      return `be greater than ${matcher.value}`;
    case 'ge':
      return `be at least ${matcher.value}`;
    case 'lt':
      return `be less than ${matcher.value}`;
    case 'le':
      return `be at most ${matcher.value}`;
    case 'have-len':
      return `have length ${matcher.value}`;
    case 'have-key':
      return `have a key that would ${describeMatcher(matcher.matcher)}`;
    case 'contain-element':
      return `contain an element that would ${describeMatcher(matcher.matcher)}`;
    case 'contain-elements':
      return `contain elements ${each(matcher.matchers) || '(none)'}`;
    case 'consist-of':
      return `consist of ${each(matcher.matchers) || 'nothing'}`;
    case 'have-patterns':
      return `have the patterns ${each(matcher.matchers)}`;
    case 'semver-constraint':
      return `satisfy semver ${JSON.stringify(matcher.value)}`;
    case 'gjson':
      return `have ${matcher.paths.map(({ path, matcher: m }) => `${path} that would ${describeMatcher(m)}`).join(', ')}`;
    case 'not':
      return `not ${describeMatcher(matcher.matcher)}`;
    case 'and':
    case 'or':
      return `(${matcher.matchers.map(describeMatcher).join(` ${matcher.op} `)})`;
  }
}

/** The first few hundred characters of what was found, quoted, for a failure message. */
export function excerpt(text: string, limit = 200): string {
  return showValue(text, limit);
}
