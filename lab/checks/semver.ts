/**
 * goss's semver-constraint matcher, as the Go library goss uses (blang/semver) reads it:
 * comparators separated by spaces must all hold (">1.0.0 <2.0.0 !=1.5.0"), "||" separates
 * alternatives, and each version is a strict MAJOR.MINOR.PATCH[-pre][+build]. Wildcards
 * ("1.x"), which goss says are not officially supported, are refused when loading. Pure.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: (string | number)[];
}

const NUMBER = '(0|[1-9]\\d*)';
const IDENT = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`);

export function parseSemVer(text: string): SemVer | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const pre = m[4] ? m[4].split('.') : [];
  // A numeric pre-release identifier may not have leading zeros either.
  if (pre.some((p) => /^\d+$/.test(p) && p.length > 1 && p.startsWith('0'))) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: pre.map((p) => (/^\d+$/.test(p) ? Number(p) : p)) };
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // A pre-release ranks below its release.
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] as string | number;
    const y = b.pre[i] as string | number;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=';
interface Comparator {
  op: Operator;
  version: SemVer;
}
/** Alternatives, each a list of comparators that must all hold. */
export type SemVerRange = Comparator[][];

const COMPARATOR = /^(==|=|!=|!|>=|>|<=|<)?\s*(\S+)$/;

/** The range, or why it is not one. */
export function parseSemVerRange(text: string): SemVerRange | string {
  const alternatives = text.split('||').map((part) => part.trim());
  if (alternatives.some((part) => part === '')) return 'expected comparators on both sides of ||';
  const range: SemVerRange = [];
  for (const alternative of alternatives) {
    // "> 1.0.0" is one comparator: join an operator standing alone to the version after it.
    const words = alternative.split(/\s+/).reduce<string[]>((acc, word) => {
      const last = acc.at(-1);
      if (last !== undefined && /^(==|=|!=|!|>=|>|<=|<)$/.test(last)) acc[acc.length - 1] = last + word;
      else acc.push(word);
      return acc;
    }, []);
    const comparators: Comparator[] = [];
    for (const word of words) {
      const m = COMPARATOR.exec(word);
      const version = m?.[2] ? parseSemVer(m[2]) : undefined;
      if (!m || !version) {
        return /[xX*]/.test(word)
          ? `"${word}": wildcard versions are not supported, write the bounds (">=1.2.0 <1.3.0")`
          : `"${word}": expected a comparator such as >=1.2.3, with a MAJOR.MINOR.PATCH version`;
      }
      const op = m[1] === '==' || m[1] === undefined ? '=' : m[1] === '!' ? '!=' : (m[1] as Operator);
      comparators.push({ op, version });
    }
    range.push(comparators);
  }
  return range;
}

export function satisfies(version: SemVer, range: SemVerRange): boolean {
  return range.some((comparators) =>
    comparators.every(({ op, version: bound }) => {
      const c = compareSemVer(version, bound);
      return op === '=' ? c === 0 : op === '!=' ? c !== 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
    }),
  );
}
