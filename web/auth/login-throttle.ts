/*
 * Failed logins per client address and user name, in memory, on an injected clock. Keyed by
 * both so that one guesser cannot lock a colleague out from another address, and one address
 * cannot try a password on every account without each account counting it.
 */

export interface ThrottleOptions {
  /** Failures allowed in the window; the next attempt is refused until the oldest leaves it. */
  maxFailures?: number;
  windowMs?: number;
  /** Keys remembered at most; the oldest are forgotten first, so a flood cannot exhaust memory. */
  maxKeys?: number;
  now?: () => number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  check(ip: string, user: string): ThrottleVerdict {
    const recent = this.recent(keyOf(ip, user));
    if (recent.length < this.maxFailures) return { allowed: true };
    const oldest = recent[recent.length - this.maxFailures] ?? this.now();
    return { allowed: false, retryAfterMs: Math.max(1, oldest + this.windowMs - this.now()) };
  }

  fail(ip: string, user: string): void {
    const key = keyOf(ip, user);
    const recent = [...this.recent(key), this.now()];
    // Re-inserted so the map's order is least recently failed first.
    this.failures.delete(key);
    this.failures.set(key, recent);
    while (this.failures.size > this.maxKeys) {
      const first = this.failures.keys().next().value;
      if (first === undefined) break;
      this.failures.delete(first);
    }
  }

  succeed(ip: string, user: string): void {
    this.failures.delete(keyOf(ip, user));
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}

function keyOf(ip: string, user: string): string {
  return `${ip}\u0000${user.trim().toLowerCase()}`;
}
