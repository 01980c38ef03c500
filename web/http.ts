import type { Request, Response } from 'express';
import type { SafeHtml } from './html.ts';

/** A refusal a route decides on; the error handler turns it into a page or a fragment. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request htmx made: it wants a fragment, not a page. */
export function isHtmx(req: Request): boolean {
  return req.get('hx-request') === 'true';
}

export function sendHtml(res: Response, status: number, body: SafeHtml): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(body.value);
}

/** A local path to go back to after logging in; anything else (another site, "//host") becomes "/". */
export function localPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f]/.test(value)) return '/';
  return value;
}

/** A named path parameter; express types it loosely once a route has middleware of its own. */
export function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  if (typeof value !== 'string') throw new HttpError(400, `the address is missing its ${name}`);
  return value;
}
