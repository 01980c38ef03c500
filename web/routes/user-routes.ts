import { Router, type Response } from 'express';
import { isRole, ROLES, type Role } from '../auth/roles.ts';
import { mustView, requireRole } from '../auth/middleware.ts';
import { UserError } from '../auth/user-store.ts';
import type { WebContext } from '../context.ts';
import { sendHtml } from '../http.ts';
import { usersPage, type UsersPageOptions } from '../views/users-page.ts';

const STATUS: Record<UserError['code'], number> = { invalid: 400, duplicate: 409, 'not-found': 404, 'last-admin': 409 };

/** Admins manage users here; every change answers with the page and a line saying what happened. */
export function userRoutes(ctx: WebContext): Router {
  const router = Router();
  router.use('/users', requireRole('admin'));

  const page = (res: Response, status: number, extra: Omit<UsersPageOptions, 'users' | 'viewer'> = {}) =>
    sendHtml(res, status, usersPage({ users: ctx.users.listUsers(), viewer: mustView(res), ...extra }));
  const field = (body: unknown, name: string): string => {
    const value = (body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };
  /** A refusal the admin can act on is shown on the page; anything else is the error handler's. */
  const attempt = async (res: Response, work: () => Promise<string> | string, draft?: { name: string; role: Role }) => {
    try {
      page(res, 200, { flash: { kind: 'info', text: await work() } });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      page(res, STATUS[error.code], { flash: { kind: 'error', text: error.message }, ...(draft ? { draft } : {}) });
    }
  };
  const role = (value: string): Role => {
    if (!isRole(value)) throw new UserError('invalid', `${JSON.stringify(value.slice(0, 40))} is not a role; roles are ${ROLES.join(', ')}`);
    return value;
  };

  router.get('/users', (_req, res) => page(res, 200));

  router.post('/users', async (req, res) => {
    const name = field(req.body, 'name').trim().toLowerCase();
    const wanted = field(req.body, 'role');
    await attempt(
      res,
      async () => {
        const user = await ctx.users.addUser(name, role(wanted), field(req.body, 'password'));
        return `Added ${user.name} as ${user.role}.`;
      },
      { name, role: isRole(wanted) ? wanted : 'viewer' },
    );
  });

  router.post('/users/:name/role', async (req, res) => {
    await attempt(res, () => {
      const user = ctx.users.setRole(req.params.name, role(field(req.body, 'role')));
      return `${user.name} is now ${user.role}.`;
    });
  });

  router.post('/users/:name/remove', async (req, res) => {
    await attempt(res, () => {
      if (req.params.name === mustView(res).name) throw new UserError('invalid', 'you cannot remove yourself; ask another admin');
      ctx.users.removeUser(req.params.name);
      return `Removed ${req.params.name}.`;
    });
  });

  return router;
}
