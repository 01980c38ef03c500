/**
 * Wall-clock time in an IANA zone, through Intl alone: Node ships the tz database with ICU, so no
 * date library is needed and the rules stay as current as the runtime.
 *
 * A wall time is kept as "wall ms": the epoch milliseconds the clock reading would be if the zone
 * were UTC. Wall ms compare and add like instants, and Date's UTC getters read their fields.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** What the zone's clocks show at `instant`, in wall ms. */
export function wallTimeAt(instant: number, timeZone: string): number {
  // Intl formats whole seconds; the milliseconds carry over unchanged because offsets are whole seconds.
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(wholeSecond)) fields[part.type] = Number(part.value);
  const { year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN } = fields;
  return Date.UTC(year, month - 1, day, hour, minute, second) + (instant - wholeSecond);
}

/**
 * The instant at which the zone's clocks show `wall`.
 * - Shown twice (clocks set back): the first time, so a run is never late by the repeated hour.
 * - Never shown (clocks set forward over it): the instant the gap ends, the first moment the clocks
 *   have passed `wall`; croner does the same for fixed-time cron jobs, so both kinds agree.
 */
export function instantOfWallTime(wall: number, timeZone: string): number {
  // Offsets a day either side cover the transition this wall time could fall into.
  const offsets = [wall - DAY_MS, wall, wall + DAY_MS].map((t) => wallTimeAt(t, timeZone) - t);
  const candidates = [...new Set(offsets)].map((offset) => wall - offset).sort((a, b) => a - b);
  const exact = candidates.find((t) => wallTimeAt(t, timeZone) === wall);
  if (exact !== undefined) return exact;
  // In a gap the clocks read before `wall` at the earliest candidate and after it at the latest.
  let before = candidates[0] ?? wall;
  let after = candidates[candidates.length - 1] ?? wall;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (wallTimeAt(middle, timeZone) < wall) before = middle;
    else after = middle;
  }
  return after;
}
