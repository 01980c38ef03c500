/**
 * Debian version ordering, exactly as Debian policy 5.6.12 and dpkg's verrevcmp define it:
 * [epoch:]upstream_version[-debian_revision]. Pure.
 */

export interface DebianVersion {
  epoch: number;
  upstream: string;
  /** "" when the version has no hyphen: dpkg orders "1.0" and "1.0-0" alike. */
  revision: string;
}

export class DebianVersionError extends Error {
  override name = 'DebianVersionError';
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]*$/;

/** Splits and checks a version; `where` names the file or field in the error. */
export function parseDebianVersion(text: string, where = 'version'): DebianVersion {
  const fail = (why: string): never => {
    throw new DebianVersionError(`${where}: ${JSON.stringify(text)} is not a Debian version (policy 5.6.12: [epoch:]upstream[-revision]): ${why}`);
  };
  const version = text.trim();
  if (version === '') fail('it is empty');
  if (/\s/.test(version)) fail('it contains white space');
  const colon = version.indexOf(':');
  let epoch = 0;
  let rest = version;
  if (colon >= 0) {
    const epochText = version.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) fail('the epoch (before the first ":") must be a number');
    epoch = Number(epochText);
    if (!Number.isSafeInteger(epoch) || epoch > 2_147_483_647) fail('the epoch is too large');
    rest = version.slice(colon + 1);
    if (rest === '') fail('nothing after the epoch');
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') fail('the revision (after the last "-") is empty');
  if (upstream === '') fail('the upstream version is empty');
  if (!/^[0-9]/.test(upstream)) fail('the upstream version must start with a digit');
  if (!UPSTREAM_CHARS.test(upstream)) fail('the upstream version may hold only letters, digits and . + ~ - :');
  if (!REVISION_CHARS.test(revision)) fail('the revision may hold only letters, digits and . + ~');
  return { epoch, upstream, revision };
}

/** Negative, zero or positive as a sorts before, with or after b; throws on a malformed version. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return Math.sign(verrevcmp(x.upstream, y.upstream)) || Math.sign(verrevcmp(x.revision, y.revision));
}

export function isNewerVersion(candidate: string, than: string): boolean {
  return compareDebianVersions(candidate, than) > 0;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** The weight of a character in a non-digit run: "~" before the end, the end before letters, letters before the rest. */
function order(c: number): number {
  if (c === 0 || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // ~
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit runs (compared by `order`) and digit runs (compared as numbers). */
function verrevcmp(a: string, b: string): number {
  // 0 stands for the end of the string, as the C original's terminator does.
  const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}
