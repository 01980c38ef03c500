import { StoreError } from './store.ts';

/**
 * JSON.stringify that refuses what it would otherwise change without a word (undefined, NaN,
 * a Date, a Map, a class instance), so what is stored parses back equal and a restarted process
 * resumes from exactly the state it stored.
 */
export function strictJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
      // `replaced` has been through toJSON already; the holder still has the original.
      const problem = notJson(this[key]);
      if (problem) throw new StoreError('invalid', `${what}: ${key === '' ? 'the value' : `"${key}"`} is ${problem}, which JSON does not store as it is`);
      return replaced;
    });
  } catch (error) {
    if (error instanceof StoreError) throw error;
    // Cycles and BigInts.
    throw new StoreError('invalid', `${what}: ${(error as Error).message}`);
  }
  if (text === undefined) throw new StoreError('invalid', `${what} is not a JSON value`);
  return text;
}

function notJson(value: unknown): string | null {
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return typeof value;
    case 'number':
      return Number.isFinite(value) ? null : String(value);
    case 'object': {
      if (value === null || Array.isArray(value)) return null;
      const prototype: unknown = Object.getPrototypeOf(value);
      return prototype === Object.prototype || prototype === null ? null : `a ${value.constructor?.name ?? 'non-plain object'}`;
    }
    default:
      return null;
  }
}
