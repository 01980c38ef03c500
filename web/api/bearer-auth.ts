import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { roleAtLeast, ROLE_LABELS, type Role } from '../auth/roles.ts';
import type { UserStore } from '../auth/user-store.ts';
import { HttpError } from '../http.ts';

declare global {
  namespace Express {
    interface Locals {
      apiUser?: { name: string; role: Role };
    }
  }
}

/**
 * The API takes a token (`Authorization: Bearer plt_…`), never the page's cookie: a browser never
 * sends the token on its own, so there is nothing for another site to forge and no CSRF token is
 * needed. An unknown or revoked token is refused without saying which.
 */
export function bearerAuth(users: UserStore): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return next(new HttpError(401, 'send an API token: Authorization: Bearer <token> (patchlab users token NAME makes one)'));
    const found = users.tokens.authenticate(match[1]);
    if (!found) return next(new HttpError(401, 'this API token is not valid (revoked, or never made)'));
    res.locals.apiUser = { name: found.user, role: found.role };
    next();
  };
}

export function requireApiRole(role: Role): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const user = res.locals.apiUser;
    if (!user) return next(new HttpError(401, 'send an API token'));
    if (!roleAtLeast(user.role, role)) return next(new HttpError(403, `this needs the ${ROLE_LABELS[role]} role; ${user.name} is a ${ROLE_LABELS[user.role]}`));
    next();
  };
}
