import { isMap } from './matcher-values.ts';

/**
 * The part of gjson's path syntax (https://gjson.dev) that goss files use with the gjson matcher:
 * keys separated by dots ("moo.nested", "fav\.movie" for a key with a dot), array indexes
 * ("friends.1.first"), "#" for an array's length and "@this" for the whole document. Wildcards,
 * queries, modifiers and multipaths are refused when loading, with the path named. Pure.
 */

export type GjsonStep = { key: string } | { count: true };

/** The path's steps, or why patchlab cannot read it. */
export function parseGjsonPath(path: string): GjsonStep[] | string {
  if (path === '@this') return [];
  const steps: GjsonStep[] = [];
  let key = '';
  for (let i = 0; i <= path.length; i++) {
    const c = path[i];
    if (c === '\\' && i + 1 < path.length) {
      key += path[++i];
      continue;
    }
    if (c === undefined || c === '.') {
      if (key === '') return `gjson path ${JSON.stringify(path)}: expected keys separated by dots, found an empty key`;
      steps.push(key === '#' ? { count: true } : { key });
      key = '';
      continue;
    }
    if ('*?|@{}[]()=<>!%'.includes(c)) {
      return `gjson path ${JSON.stringify(path)}: "${c}" is not supported; patchlab reads keys, array indexes, "#" and "@this"`;
    }
    key += c;
  }
  if (steps.slice(0, -1).some((step) => 'count' in step)) return `gjson path ${JSON.stringify(path)}: "#" is supported only at the end (an array's length)`;
  return steps;
}

/** The value at the path in a JSON document (text, as a command prints it, or already parsed). */
export function gjsonGet(document: unknown, path: string): { found: true; value: unknown } | { found: false } {
  const steps = parseGjsonPath(path);
  if (typeof steps === 'string') return { found: false };
  let value: unknown = document;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { found: false };
    }
  }
  for (const step of steps) {
    if ('count' in step) {
      if (!Array.isArray(value)) return { found: false };
      value = value.length;
    } else if (Array.isArray(value) && /^\d+$/.test(step.key)) {
      if (Number(step.key) >= value.length) return { found: false };
      value = value[Number(step.key)];
    } else if (isMap(value) && Object.hasOwn(value, step.key)) {
      value = value[step.key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}
