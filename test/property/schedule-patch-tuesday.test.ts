import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextPatchTuesdayRun, secondTuesday } from '../../lab/schedule/patch-tuesday.ts';

/**
 * Zones with every kind of offset and DST rule: half-hour and 45-minute offsets, a 30-minute DST
 * shift (Lord Howe), a 2-hour one (Troll), changes at midnight (Sao Paulo, Havana, Tehran), DST
 * rules that came and went (Cairo). None skipped a whole day after 1990, where the date of a run
 * would move (see the Apia unit test).
 */
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'America/St_Johns',
  'America/Sao_Paulo',
  'America/Havana',
  'Australia/Lord_Howe',
  'Australia/Adelaide',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'Asia/Tehran',
  'Asia/Kolkata',
  'Africa/Cairo',
  'Antarctica/Troll',
] as const;

const MINUTE = 60_000;
const DAY = 86_400_000;

const offsetFormats = new Map(ZONES.map((timeZone) => [timeZone, new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })]));

/** The zone's offset straight from Intl's own offset name, independent of the code under test. */
function offsetMs(instant: number, timeZone: (typeof ZONES)[number]): number {
  const name = offsetFormats
    .get(timeZone)
    ?.formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /^GMT(?:([+-])(\d\d):(\d\d))?$/.exec(name ?? '');
  if (!match) throw new Error(`unexpected offset name ${name}`);
  const [, sign, hours = '0', minutes = '0'] = match;
  return (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * MINUTE;
}
const wall = (instant: number, timeZone: (typeof ZONES)[number]) => instant + offsetMs(instant, timeZone);

/** croner's run for one calendar date at a fixed time: a second implementation of the same DST rules. */
function cronerRun(wallMs: number, timeZone: string): number | undefined {
  const d = new Date(wallMs);
  const pattern = `${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
  return new Cron(pattern, { timezone: timeZone, mode: '5-part' }).nextRun(new Date(wallMs - 2 * DAY))?.getTime();
}

/** Wall ms of midnight on the second Tuesday of month `m` (0-based; -1 is last December). */
function patchTuesdayOf(y: number, m: number): number {
  const first = new Date(Date.UTC(y, m, 1));
  return Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), secondTuesday(first.getUTCFullYear(), first.getUTCMonth() + 1));
}

const isSecondTuesday = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d)).getUTCDay() === 2 && d >= 8 && d <= 14;

/** Hours around the usual DST changes come up half the time, so gaps and repeated hours get hit. */
const time = fc.record({
  hour: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
  minute: fc.oneof(fc.constantFrom(0, 15, 30, 45), fc.integer({ min: 0, max: 59 })),
});
const hhmm = ({ hour, minute }: { hour: number; minute: number }) => `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;

describe('secondTuesday', () => {
  it('is a Tuesday between the 8th and the 14th with exactly one Tuesday before it, every month of 1990-2100', () => {
    let months = 0;
    for (let year = 1990; year <= 2100; year++) {
      for (let month = 1; month <= 12; month++) {
        const day = secondTuesday(year, month);
        expect(new Date(Date.UTC(year, month - 1, day)).getUTCDay()).toBe(2);
        expect(day).toBeGreaterThanOrEqual(8);
        expect(day).toBeLessThanOrEqual(14);
        const earlierWeekdays = Array.from({ length: day - 1 }, (_, i) => new Date(Date.UTC(year, month - 1, i + 1)).getUTCDay());
        expect(earlierWeekdays.filter((w) => w === 2)).toHaveLength(1);
        months += 1;
      }
    }
    expect(months).toBe(1332);
  });
});

describe('nextPatchTuesdayRun', () => {
  it('is the next run after any instant, at HH:MM on second Tuesday + offset, or when a DST gap over it ends', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 10, 1) }),
        fc.integer({ min: 0, max: 27 }),
        time,
        (timeZone, afterMs, offsetDays, t) => {
          const run = nextPatchTuesdayRun({ offsetDays, at: hhmm(t), timeZone }, afterMs);
          expect(run).toBeGreaterThan(afterMs);

          const date = new Date(wall(run, timeZone));
          const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
          const target = Date.UTC(y, m, d, t.hour, t.minute);
          if (wall(run, timeZone) !== target) {
            // The documented gap rule: the clocks jumped over HH:MM, and the run is the instant they did.
            expect(wall(run - 1, timeZone)).toBeLessThan(target);
            expect(wall(run, timeZone)).toBeGreaterThan(target);
          }
          const patchDay = new Date(Date.UTC(y, m, d - offsetDays));
          expect(isSecondTuesday(patchDay.getUTCFullYear(), patchDay.getUTCMonth(), patchDay.getUTCDate())).toBe(true);
          expect(cronerRun(target, timeZone)).toBe(run);

          // No run between: the previous month's run came no later than afterMs.
          const previousPatchDay = patchTuesdayOf(patchDay.getUTCFullYear(), patchDay.getUTCMonth() - 1);
          const previousTarget = previousPatchDay + offsetDays * DAY + (t.hour * 60 + t.minute) * MINUTE;
          expect(cronerRun(previousTarget, timeZone)).toBeLessThanOrEqual(afterMs);
        },
      ),
      { seed: 20261110, numRuns: 1500 },
    );
  });

  it('at a time inside a DST change: runs when a gap ends, and the first time of a repeated hour', () => {
    // Random instants seldom put a run on a DST change, so this starts from the changes themselves.
    const dstZones = ZONES.filter((z) => z !== 'UTC' && z !== 'Asia/Kolkata');
    fc.assert(
      fc.property(
        fc.constantFrom(...dstZones),
        fc.integer({ min: 1990, max: 2100 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (timeZone, year, pick, fraction) => {
          const changes = transitions(timeZone, year);
          fc.pre(changes.length > 0);
          const change = changes[pick % changes.length] as number;
          const [before, after] = [wall(change - 1, timeZone), wall(change, timeZone)];
          const gap = after > before;
          // Whole minutes the clocks skip (gap) or show twice (repeated).
          const [first, last] = gap
            ? [Math.ceil((before + 1) / MINUTE), Math.floor((after - 1) / MINUTE)]
            : [Math.ceil(after / MINUTE), Math.floor(before / MINUTE)];
          const target = (first + Math.floor(fraction * (last - first + 1))) * MINUTE;

          const date = new Date(target);
          const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
          const patchDay = d >= secondTuesday(y, m + 1) ? patchTuesdayOf(y, m) : patchTuesdayOf(y, m - 1);
          const offsetDays = Math.round((Date.UTC(y, m, d) - patchDay) / DAY);
          fc.pre(offsetDays <= 27);

          const at = hhmm({ hour: date.getUTCHours(), minute: date.getUTCMinutes() });
          const run = nextPatchTuesdayRun({ offsetDays, at, timeZone }, change - 3 * DAY);
          expect(run).toBe(gap ? change : target - offsetMs(change - 1, timeZone));
          expect(cronerRun(target, timeZone)).toBe(run);
        },
      ),
      { seed: 20261111, numRuns: 400 },
    );
  });
});

/** Instants in `year` at which the zone's offset changes, found by a daily scan and bisection. */
function transitions(timeZone: (typeof ZONES)[number], year: number): number[] {
  const found: number[] = [];
  for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += DAY) {
    let [lo, hi] = [day, day + DAY];
    const startOffset = offsetMs(lo, timeZone);
    if (offsetMs(hi, timeZone) === startOffset) continue;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetMs(mid, timeZone) === startOffset) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}
