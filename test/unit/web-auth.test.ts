import { describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie, tokensEqual } from '../../web/auth/cookies.ts';
import { LoginThrottle } from '../../web/auth/login-throttle.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../../web/auth/passwords.ts';
import { canAct, canAdminister } from '../../web/auth/roles.ts';
import { UserError, UserStore } from '../../web/auth/user-store.ts';

// Cheap scrypt for tests: the cost is a parameter stored in each hash, not a different code path.
const CHEAP = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';

describe('passwords', () => {
  it('verifies the password it hashed and no other', async () => {
    const stored = await hashPassword(PASSWORD, CHEAP);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash, so equal passwords do not give equal hashes', async () => {
    expect(await hashPassword(PASSWORD, CHEAP)).not.toBe(await hashPassword(PASSWORD, CHEAP));
  });

  it('refuses a damaged or foreign hash rather than throwing', async () => {
    const stored = await hashPassword(PASSWORD, CHEAP);
    const parts = stored.split('$');
    for (const bad of ['', 'plain', `bcrypt$${parts.slice(1).join('$')}`, parts.slice(0, 5).join('$'), [...parts.slice(0, 5), 'AAAA'].join('$'), ['scrypt', '4194304', '8', '1', parts[4], parts[5]].join('$')]) {
      expect(await verifyPassword(PASSWORD, bad)).toBe(false);
    }
  });

  it('says what is wrong with a password it will not take', () => {
    expect(passwordProblem('short')).toMatch(/at least 10 characters, this one has 5/);
    expect(passwordProblem(' correct horse ')).toMatch(/white space/);
    expect(passwordProblem(PASSWORD)).toBeNull();
  });
});

describe('roles', () => {
  it('lets release managers and admins act, and only admins administer', () => {
    expect([canAct('viewer'), canAct('release-manager'), canAct('admin')]).toEqual([false, true, true]);
    expect([canAdminister('viewer'), canAdminister('release-manager'), canAdminister('admin')]).toEqual([false, false, true]);
  });
});

describe('UserStore', () => {
  const open = (clock = { now: 1_000_000 }) => ({ clock, users: UserStore.open(':memory:', { cost: CHEAP, now: () => clock.now, sessionTtlMs: 60_000 }) });

  it('authenticates a user with the right password only', async () => {
    const { users } = open();
    await users.addUser('alice', 'release-manager', PASSWORD);
    expect(await users.authenticate('alice', PASSWORD)).toMatchObject({ name: 'alice', role: 'release-manager' });
    expect(await users.authenticate('alice', 'wrong password!')).toBeNull();
    expect(await users.authenticate('bob', PASSWORD)).toBeNull();
    expect(await users.authenticate('<script>', PASSWORD)).toBeNull();
  });

  it('refuses bad names, unknown roles, weak passwords and duplicates, saying why', async () => {
    const { users } = open();
    await users.addUser('alice', 'admin', PASSWORD);
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: UserError) => [e.code, e.message]);
    expect(await refusal(users.addUser('Alice<b>', 'viewer', PASSWORD))).toEqual(['invalid', expect.stringMatching(/lower-case letters/)]);
    expect(await refusal(users.addUser('bob', 'boss' as 'viewer', PASSWORD))).toEqual(['invalid', expect.stringMatching(/not a role; roles are viewer, release-manager, admin/)]);
    expect(await refusal(users.addUser('bob', 'viewer', 'short'))).toEqual(['invalid', expect.stringMatching(/at least 10/)]);
    expect(await refusal(users.addUser('alice', 'viewer', PASSWORD))).toEqual(['duplicate', 'a user alice already exists']);
    expect(users.listUsers().map((u) => u.name)).toEqual(['alice']);
  });

  it('keeps only a hash of the session token, and finds the session by the token', async () => {
    const { users } = open();
    await users.addUser('alice', 'viewer', PASSWORD);
    const { token, session } = users.createSession('alice');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(users.sessionFor(token)).toEqual(session);
    expect(users.sessionFor(`${token}x`)).toBeNull();
    expect(users.sessionFor('')).toBeNull();
  });

  it('ends sessions when they expire, on logout, on a new password and when the user is removed', async () => {
    const { users, clock } = open();
    await users.addUser('root', 'admin', PASSWORD);
    await users.addUser('alice', 'viewer', PASSWORD);
    const expiring = users.createSession('alice').token;
    clock.now += 60_000;
    expect(users.sessionFor(expiring)).toBeNull();

    const loggedOut = users.createSession('alice').token;
    users.endSession(loggedOut);
    expect(users.sessionFor(loggedOut)).toBeNull();

    const beforePassword = users.createSession('alice').token;
    await users.setPassword('alice', 'another long password');
    expect(users.sessionFor(beforePassword)).toBeNull();
    expect(await users.authenticate('alice', 'another long password')).not.toBeNull();

    const beforeRemoval = users.createSession('alice').token;
    users.removeUser('alice');
    expect(users.sessionFor(beforeRemoval)).toBeNull();
  });

  it('applies a role change to sessions already open', async () => {
    const { users } = open();
    await users.addUser('root', 'admin', PASSWORD);
    await users.addUser('alice', 'release-manager', PASSWORD);
    const { token } = users.createSession('alice');
    users.setRole('alice', 'viewer');
    expect(users.sessionFor(token)?.user.role).toBe('viewer');
  });

  it('never leaves the last admin out, by removal or demotion', async () => {
    const { users } = open();
    await users.addUser('root', 'admin', PASSWORD);
    expect(() => users.removeUser('root')).toThrow(/root is the last admin/);
    expect(() => users.setRole('root', 'viewer')).toThrow(/last admin/);
    await users.addUser('second', 'admin', PASSWORD);
    users.setRole('root', 'viewer');
    expect(users.getUser('root')?.role).toBe('viewer');
  });
});

describe('LoginThrottle', () => {
  it('refuses a sixth failure within the window until the oldest one leaves it', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxFailures: 5, windowMs: 15 * 60_000, now: () => now });
    for (let i = 0; i < 5; i++) {
      expect(throttle.check('10.0.0.1', 'alice').allowed).toBe(true);
      throttle.fail('10.0.0.1', 'alice');
      now += 60_000;
    }
    expect(throttle.check('10.0.0.1', 'alice')).toEqual({ allowed: false, retryAfterMs: 10 * 60_000 });
    // Keyed by address and name: neither another address nor another user is held back.
    expect(throttle.check('10.0.0.2', 'alice').allowed).toBe(true);
    expect(throttle.check('10.0.0.1', 'bob').allowed).toBe(true);
    // The name is compared as the login form compares it.
    expect(throttle.check('10.0.0.1', ' ALICE ').allowed).toBe(false);
    now += 10 * 60_000;
    expect(throttle.check('10.0.0.1', 'alice').allowed).toBe(true);
  });

  it('forgets the failures of a successful login', () => {
    const throttle = new LoginThrottle({ maxFailures: 2, now: () => 0 });
    throttle.fail('ip', 'alice');
    throttle.fail('ip', 'alice');
    expect(throttle.check('ip', 'alice').allowed).toBe(false);
    throttle.succeed('ip', 'alice');
    expect(throttle.check('ip', 'alice').allowed).toBe(true);
  });

  it('remembers a bounded number of keys, forgetting the oldest', () => {
    const throttle = new LoginThrottle({ maxFailures: 1, maxKeys: 3, now: () => 0 });
    for (const user of ['a', 'b', 'c', 'd']) throttle.fail('ip', user);
    expect(throttle.check('ip', 'a').allowed).toBe(true);
    expect(['b', 'c', 'd'].map((u) => throttle.check('ip', u).allowed)).toEqual([false, false, false]);
  });
});

describe('cookies', () => {
  it('reads cookies, skipping malformed ones, the first of two names winning', () => {
    const cookies = parseCookies('a=1; b="two"; broken; c=%E0%A4%A; a=3; d=x%3Dy');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['d', 'x=y'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('writes every cookie HttpOnly and SameSite=Strict', () => {
    expect(serializeCookie('s', 'v=1', { maxAgeSeconds: 90.7, secure: true })).toBe('s=v%3D1; Path=/; HttpOnly; SameSite=Strict; Max-Age=90; Secure');
    expect(serializeCookie('s', '')).toBe('s=; Path=/; HttpOnly; SameSite=Strict');
  });

  it('compares tokens of any length, and never accepts an empty one', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', '')).toBe(false);
  });
});
