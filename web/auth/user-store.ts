import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { dataDir } from '../../lab/config/paths.ts';
import { ApiTokens, TOKEN_SCHEMA } from './api-tokens.ts';
import { DEFAULT_COST, hashPassword, passwordProblem, verifyPassword, type ScryptCost } from './passwords.ts';
import { isRole, ROLES, type Role } from './roles.ts';

/*
 * Users and their sessions, in a SQLite file of their own (users.db beside the rollout store),
 * so the rollout store never holds a credential. A session is looked up on every request, so a
 * removed user or a changed role takes effect at once. Only a hash of each session token is
 * stored: a copy of the file does not let anyone in.
 */

export interface User {
  name: string;
  role: Role;
  createdAt: number;
}

export interface Session {
  user: User;
  /** The synchronizer token every state-changing request of this session must carry. */
  csrfToken: string;
  expiresAt: number;
}

export type UserErrorCode = 'invalid' | 'duplicate' | 'not-found' | 'last-admin';

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const USER_NAME_RULE = 'a user name is 1 to 32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';

export interface UserStoreOptions {
  now?: () => number;
  cost?: ScryptCost;
  /** How long a login lasts; there is no renewal, so a stolen cookie ages out. */
  sessionTtlMs?: number;
}

export const SESSION_TTL_MS = 12 * 60 * 60_000;

export function defaultUserStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'users.db');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN (${ROLES.map((r) => `'${r}'`).join(', ')})),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_name);
`;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

interface UserRow {
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
}

export class UserStore {
  private readonly now: () => number;
  private readonly cost: ScryptCost;
  private readonly ttl: number;
  /** Verified against when the user does not exist, so a missing user takes as long as a wrong password. */
  private decoy: Promise<string> | undefined;
  // The reads every page and poll makes (its session, the approvers it names), prepared once.
  private readonly selectUsers: Database.Statement<[], UserRow>;
  private readonly selectSession: Database.Statement<[string], UserRow & { csrf_token: string; expires_at: number }>;

  private constructor(
    private readonly db: Database.Database,
    options: UserStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.cost = options.cost ?? DEFAULT_COST;
    this.ttl = options.sessionTtlMs ?? SESSION_TTL_MS;
    this.tokens = new ApiTokens(db, this.now);
    this.selectUsers = db.prepare('SELECT name, role, password_hash, created_at FROM users ORDER BY name');
    this.selectSession = db.prepare(
      `SELECT u.name, u.role, u.password_hash, u.created_at, s.csrf_token, s.expires_at
       FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?`,
    );
  }

  /** The users' API tokens, in the same file, so removing a user removes its tokens. */
  readonly tokens: ApiTokens;

  /** Opens (creating it if need be) the user database; ':memory:' gives a throwaway one. */
  static open(path: string = defaultUserStorePath(), options: UserStoreOptions = {}): UserStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, { timeout: 5_000 });
    try {
      db.pragma('foreign_keys = ON');
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
      db.exec(TOKEN_SCHEMA);
      return new UserStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async addUser(name: string, role: Role, password: string): Promise<User> {
    checkName(name);
    checkRole(role);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    const at = this.now();
    try {
      this.db.prepare('INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(name, role, hash, at, at);
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new UserError('duplicate', `a user ${name} already exists`);
      throw error;
    }
    return { name, role, createdAt: at };
  }

  listUsers(): User[] {
    return this.selectUsers.all().map(toUser);
  }

  getUser(name: string): User | undefined {
    const row = this.db.prepare<[string], UserRow>('SELECT name, role, password_hash, created_at FROM users WHERE name = ?').get(name);
    return row ? toUser(row) : undefined;
  }

  setRole(name: string, role: Role): User {
    checkRole(role);
    const user = this.mustGet(name);
    if (user.role === 'admin' && role !== 'admin') this.keepAnAdmin(name);
    this.db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE name = ?').run(role, this.now(), name);
    return { ...user, role };
  }

  /** Ends every session of the user: whoever knew the old password is out. */
  async setPassword(name: string, password: string): Promise<void> {
    this.mustGet(name);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?').run(hash, this.now(), name);
      this.db.prepare('DELETE FROM sessions WHERE user_name = ?').run(name);
    })();
  }

  removeUser(name: string): void {
    const user = this.mustGet(name);
    if (user.role === 'admin') this.keepAnAdmin(name);
    this.db.prepare('DELETE FROM users WHERE name = ?').run(name);
  }

  /** The user, when the password is theirs; null otherwise, in about the same time either way. */
  async authenticate(name: string, password: string): Promise<User | null> {
    const row = USER_NAME.test(name)
      ? this.db.prepare<[string], UserRow>('SELECT name, role, password_hash, created_at FROM users WHERE name = ?').get(name)
      : undefined;
    if (!row) {
      this.decoy ??= hashPassword(randomBytes(12).toString('hex'), this.cost);
      await verifyPassword(password, await this.decoy);
      return null;
    }
    return (await verifyPassword(password, row.password_hash)) ? toUser(row) : null;
  }

  /** A new session; the token goes into the cookie and is never stored as it is. */
  createSession(name: string): { token: string; session: Session } {
    const user = this.mustGet(name);
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const at = this.now();
    const expiresAt = at + this.ttl;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(at);
      this.db.prepare('INSERT INTO sessions (token_hash, user_name, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(hashToken(token), name, csrfToken, at, expiresAt);
    })();
    return { token, session: { user, csrfToken, expiresAt } };
  }

  sessionFor(token: string): Session | null {
    if (token.length === 0 || token.length > 100) return null;
    const row = this.selectSession.get(hashToken(token));
    if (!row) return null;
    if (row.expires_at <= this.now()) {
      this.endSession(token);
      return null;
    }
    return { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  endSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hashToken(token));
  }

  close(): void {
    this.db.close();
  }

  private mustGet(name: string): User {
    const user = this.getUser(name);
    if (!user) throw new UserError('not-found', `no user ${name}`);
    return user;
  }

  /** Without an admin nobody could manage users from the web page again. */
  private keepAnAdmin(leaving: string): void {
    const others = this.db.prepare<[string], number>("SELECT count(*) FROM users WHERE role = 'admin' AND name <> ?").pluck().get(leaving) ?? 0;
    if (others === 0) throw new UserError('last-admin', `${leaving} is the last admin; make another user admin first`);
  }
}

function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`user ${row.name} has an unknown role ${row.role}`);
  return { name: row.name, role: row.role, createdAt: row.created_at };
}

function checkName(name: string): void {
  if (!USER_NAME.test(name)) throw new UserError('invalid', `${JSON.stringify(name)}: ${USER_NAME_RULE}`);
}

function checkRole(role: string): void {
  if (!isRole(role)) throw new UserError('invalid', `${JSON.stringify(role)} is not a role; roles are ${ROLES.join(', ')}`);
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new UserError('invalid', problem);
}
