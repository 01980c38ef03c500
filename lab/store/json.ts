import { StoreError } from './store-error.ts';

/**
 * JSON.stringify that refuses what it would otherwise change without a word (undefined, NaN,
 * a Date, a Map, a class instance), so what is stored parses back equal and a restarted process
 * resumes from exactly the state it stored.
 */
export function strictJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // Cycles and BigInts.
    throw new StoreError('invalid', `${what}: ${(error as Error).message}`);
  }
  // A separate walk costs a third of what a replacer function would; stringify has ruled out cycles.
  const problem = notJson(value);
  if (problem || text === undefined) {
    const [path, found] = problem ?? ['', typeof value];
    throw new StoreError('invalid', `${what}: ${path === '' ? 'the value' : path.replace(/^\./, '')} is ${found}, which JSON does not store as it is`);
  }
  return text;
}

/** The path to the first value JSON would change, and what it is; null if there is none. */
function notJson(value: unknown): [path: string, found: string] | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : ['', String(value)];
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const problem = i in value ? notJson(value[i]) : (['', 'a hole'] as [string, string]);
          if (problem) return [`[${i}]${problem[0]}`, problem[1]];
        }
        return null;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return ['', `a ${value.constructor?.name ?? 'non-plain object'}`];
      for (const key of Object.keys(value)) {
        const problem = notJson((value as Record<string, unknown>)[key]);
        if (problem) return [`.${key}${problem[0]}`, problem[1]];
      }
      return null;
    }
    default:
      return ['', typeof value];
  }
}
