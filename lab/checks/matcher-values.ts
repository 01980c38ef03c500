/**
 * goss compares a host's value with what the file expects after turning it into the type the
 * matcher needs (its "transforms"): text for string matchers, a number for numeric ones, a list
 * for array ones. These are those transforms, and goss's equality over them. All pure.
 */

/** What a goss matcher compares: a host's value, or a `matching` resource's content. */
export type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** goss's ToString: scalars only; a list or a map has no text. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** goss's ToNumeric: a number, or text that spells one ("128\n" from /proc/sys included). */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return NUMERIC.test(text) ? Number(text) : undefined;
}

/**
 * goss's ToArray: a list stays a list, text becomes its lines (the newline ending the last line
 * does not make an empty one), any other scalar a list of itself.
 */
export function asList(value: unknown): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return value === '' ? [] : value.replace(/\n$/, '').split('\n');
  if (typeof value === 'number' || typeof value === 'boolean') return [value];
  return undefined;
}

/**
 * Equality as goss's default matchers see it: an expected number equals anything that reads as
 * that number ("128" from /proc/sys), an expected string anything that prints as it, lists
 * element by element, maps key by key.
 */
export function sameValue(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'number') return asNumber(actual) === expected;
  if (typeof expected === 'string') return asText(actual) === expected;
  if (typeof expected === 'boolean' || expected === null) return actual === expected;
  if (Array.isArray(expected)) {
    const list = asList(actual);
    return list !== undefined && list.length === expected.length && expected.every((e, i) => sameValue(e, list[i]));
  }
  if (isMap(expected)) {
    if (!isMap(actual)) return false;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((k) => k in actual && sameValue(expected[k], actual[k]));
  }
  return false;
}

/**
 * Whether every expectation can take an element of its own (gomega's ContainElements and
 * ConsistOf: [group2, group2] needs two group2s). Kuhn's augmenting paths; lists here are short.
 */
export function assignDistinct<T>(expectations: readonly T[], elements: readonly unknown[], fits: (expectation: T, element: unknown) => boolean): boolean {
  const owner: (number | undefined)[] = new Array(elements.length).fill(undefined);
  const fitting = expectations.map((e) => elements.map((el) => fits(e, el)));
  const place = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < elements.length; j++) {
      if (!fitting[i]?.[j] || seen[j]) continue;
      seen[j] = true;
      const current = owner[j];
      if (current === undefined || place(current, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  return expectations.every((_, i) => place(i, new Array(elements.length).fill(false)));
}

/** A value in a message: text quoted, lists and maps as JSON, cut short when long. */
export function showValue(value: unknown, limit = 200): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  if (typeof value === 'string' && value.length > limit) return `${JSON.stringify(value.slice(0, limit))}... (${value.length} characters)`;
  return text.length <= limit ? text : `${text.slice(0, limit)}...`;
}
