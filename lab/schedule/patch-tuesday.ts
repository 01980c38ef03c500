import type { PatchTuesdayTiming } from './spec.ts';
import { instantOfWallTime, wallTimeAt } from './zoned-time.ts';

/** Day of the month (8 to 14) of the second Tuesday; `month` is 1 to 12. */
export function secondTuesday(year: number, month: number): number {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const firstTuesday = 1 + ((2 - firstWeekday + 7) % 7);
  return firstTuesday + 7;
}

/**
 * The run that belongs to one month's Patch Tuesday. `Date.UTC` carries a day past the month's
 * end into the next month, which is where an offset of up to 27 days can land.
 */
function runOfMonth(timing: PatchTuesdayTiming, year: number, month: number): number {
  const [hour = 0, minute = 0] = timing.at.split(':').map(Number);
  const wall = Date.UTC(year, month - 1, secondTuesday(year, month) + timing.offsetDays, hour, minute);
  return instantOfWallTime(wall, timing.timeZone);
}

/**
 * The first run strictly after `afterMs`: the second Tuesday of a month plus `offsetDays`, at `at`
 * on the zone's clocks. DST follows `instantOfWallTime`: a time the clocks skip runs when the gap
 * ends, a time they show twice runs the first time.
 */
export function nextPatchTuesdayRun(timing: PatchTuesdayTiming, afterMs: number): number {
  const now = new Date(wallTimeAt(afterMs, timing.timeZone));
  // Last month's run can fall in this month, and runs come in month order, so the first one found
  // after `afterMs` is the next; next month's always is, so the loop ends by then.
  for (let months = -1; ; months++) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 1));
    const run = runOfMonth(timing, month.getUTCFullYear(), month.getUTCMonth() + 1);
    if (run > afterMs) return run;
  }
}
