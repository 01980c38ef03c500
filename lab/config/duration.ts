const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_DURATION_MS = 365 * UNIT_MS.d;

/** The grammar every duration a user writes follows (scenario files, `simulate --tick`), said the same way in every error. */
export function durationExpected(minMs: number): string {
  return `a duration such as 30s, 5m, 1h or 24h (a whole number then ms, s, m, h or d${minMs > 0 ? ', above 0' : ''}, at most 365d)`;
}

/** Exactly `<whole number><unit>`: "5 minutes" or a bare 300 is refused rather than guessed at. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_DURATION_MS ? ms : null;
}

/** An environment variable holding a duration above 0; unset or empty: `fallbackMs`; unusable: an error naming the variable. */
export function durationFromEnv(env: NodeJS.ProcessEnv, variable: string, fallbackMs: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallbackMs;
  const ms = parseDuration(raw);
  if (ms === null || ms <= 0) throw new Error(`${variable}: expected ${durationExpected(1)}, got ${JSON.stringify(raw)}`);
  return ms;
}
