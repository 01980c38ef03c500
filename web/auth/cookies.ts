import { createHash, timingSafeEqual } from 'node:crypto';

/** Cookie header to a map; a malformed pair is skipped rather than failing the request. Pure. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      // The first of two same-named cookies wins, as browsers send the most specific path first.
      if (!cookies.has(name)) cookies.set(name, decodeURIComponent(value));
    } catch {
      // A value that is not valid percent-encoding is not one of ours.
    }
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure?: boolean;
}

/** Always HttpOnly, SameSite=Strict and Path=/: none of patchlab's cookies is for scripts or other sites. Pure. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Constant time whatever the inputs' lengths: both sides are hashed to the same size first. */
export function tokensEqual(a: string, b: string): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
