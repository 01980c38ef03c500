import { createHash } from 'node:crypto';

/** Bump when the way images are built changes, so every cached build is made anew. */
export const BUILDER_VERSION = 1;

/** JSON with sorted keys, so equal definitions hash equally whatever order their keys came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortHash(value: unknown, length = 12): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

export function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}
