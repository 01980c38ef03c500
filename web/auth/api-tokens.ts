import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { isRole, type Role } from './roles.ts';

/*
 * API tokens for automation, one user's each, acting with that user's role. A token is shown once,
 * when made, and only its SHA-256 is kept: it is 32 random bytes, so a fast hash is enough (no
 * password to guess), and a copy of the file lets nobody in. Removing the user removes its tokens.
 */

export const TOKEN_SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  label TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_tokens_by_user ON api_tokens (user_name);
`;

export interface ApiToken {
  id: string;
  user: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const PREFIX = 'plt_';
const hash = (token: string): string => createHash('sha256').update(token).digest('hex');

export class ApiTokens {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  /** A new token for the user; the returned secret is the only time anyone sees it. */
  create(user: string, label: string): { token: ApiToken; secret: string } {
    const id = randomBytes(6).toString('hex');
    const secret = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const at = this.now();
    this.db.prepare('INSERT INTO api_tokens (id, user_name, label, token_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(id, user, label, hash(secret), at);
    return { token: { id, user, label, createdAt: at, lastUsedAt: null }, secret };
  }

  list(user?: string): ApiToken[] {
    return this.db
      .prepare<[string | null, string | null], { id: string; user_name: string; label: string; created_at: number; last_used_at: number | null }>(
        'SELECT id, user_name, label, created_at, last_used_at FROM api_tokens WHERE (? IS NULL OR user_name = ?) ORDER BY created_at, id',
      )
      .all(user ?? null, user ?? null)
      .map((r) => ({ id: r.id, user: r.user_name, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  /** False when no such token exists. */
  revoke(id: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0;
  }

  /** The user and role a presented token acts as, or null; notes when it was last used. */
  authenticate(secret: string): { user: string; role: Role; tokenId: string } | null {
    if (!secret.startsWith(PREFIX) || secret.length > 100) return null;
    const row = this.db
      .prepare<[string], { id: string; name: string; role: string }>(
        'SELECT t.id, u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = ?',
      )
      .get(hash(secret));
    if (!row || !isRole(row.role)) return null;
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(this.now(), row.id);
    return { user: row.name, role: row.role, tokenId: row.id };
  }
}
