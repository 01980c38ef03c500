import { describe, expect, it } from 'vitest';
import { nextPatchTuesdayRun, secondTuesday } from '../../lab/schedule/patch-tuesday.ts';
import { instantOfWallTime, wallTimeAt } from '../../lab/schedule/zoned-time.ts';

const at = (iso: string) => Date.parse(iso);
const next = (offsetDays: number, time: string, timeZone: string, after: string) =>
  new Date(nextPatchTuesdayRun({ offsetDays, at: time, timeZone }, at(after))).toISOString();

describe('secondTuesday', () => {
  it('matches calendars checked by hand', () => {
    expect(secondTuesday(2026, 11)).toBe(10); // Nov 1 2026 is a Sunday
    expect(secondTuesday(2026, 12)).toBe(8); // Dec 1 2026 is a Tuesday
    expect(secondTuesday(2025, 1)).toBe(14); // Jan 1 2025 is a Wednesday
    expect(secondTuesday(2022, 3)).toBe(8); // Mar 1 2022 is a Tuesday
    expect(secondTuesday(2000, 2)).toBe(8); // Feb 1 2000 is a Tuesday, in a leap year
  });
});

describe('nextPatchTuesdayRun', () => {
  it('runs in UTC at the given time, strictly after the instant given', () => {
    expect(next(0, '00:00', 'UTC', '2026-11-01T00:00:00Z')).toBe('2026-11-10T00:00:00.000Z');
    expect(next(0, '00:00', 'UTC', '2026-11-09T23:59:59.999Z')).toBe('2026-11-10T00:00:00.000Z');
    expect(next(0, '00:00', 'UTC', '2026-11-10T00:00:00Z')).toBe('2026-12-08T00:00:00.000Z');
  });

  it('Patch Tuesday + 1 day at 03:00 in Europe/Berlin, on both sides of the March change', () => {
    expect(next(1, '03:00', 'Europe/Berlin', '2026-03-01T00:00:00Z')).toBe('2026-03-11T02:00:00.000Z'); // CET
    expect(next(1, '03:00', 'Europe/Berlin', '2026-03-11T02:00:00Z')).toBe('2026-04-15T01:00:00.000Z'); // CEST
    expect(next(1, '03:00', 'Europe/Berlin', '2026-10-01T00:00:00Z')).toBe('2026-10-14T01:00:00.000Z'); // CEST
    expect(next(1, '03:00', 'Europe/Berlin', '2026-10-14T01:00:00Z')).toBe('2026-11-11T02:00:00.000Z'); // CET
  });

  it('Patch Tuesday + 1 day at 03:00 in America/New_York, on both sides of the March and November changes', () => {
    expect(next(1, '03:00', 'America/New_York', '2026-02-01T00:00:00Z')).toBe('2026-02-11T08:00:00.000Z'); // EST
    expect(next(1, '03:00', 'America/New_York', '2026-03-01T00:00:00Z')).toBe('2026-03-11T07:00:00.000Z'); // EDT since Mar 8
    expect(next(1, '03:00', 'America/New_York', '2026-10-01T00:00:00Z')).toBe('2026-10-14T07:00:00.000Z'); // EDT
    expect(next(1, '03:00', 'America/New_York', '2026-11-01T00:00:00Z')).toBe('2026-11-11T08:00:00.000Z'); // EST since Nov 1
  });

  it('a time the clocks skip runs when the gap ends', () => {
    // Mar 8 2022 + 5 = Sun Mar 13, when New York jumps from 02:00 to 03:00.
    expect(next(5, '02:30', 'America/New_York', '2022-03-01T00:00:00Z')).toBe('2022-03-13T07:00:00.000Z');
    // Mar 10 2026 + 19 = Sun Mar 29, when Berlin jumps from 02:00 to 03:00.
    expect(next(19, '02:30', 'Europe/Berlin', '2026-03-20T00:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
    // Sep 8 2026 + 26 = Sun Oct 4, when Lord Howe Island jumps half an hour, from 02:00 to 02:30.
    expect(next(26, '02:15', 'Australia/Lord_Howe', '2026-09-20T00:00:00Z')).toBe('2026-10-03T15:30:00.000Z');
  });

  it('a time the clocks show twice runs the first time only', () => {
    // Oct 11 2022 + 26 = Sun Nov 6: 01:30 EDT (05:30Z), not 01:30 EST (06:30Z).
    expect(next(26, '01:30', 'America/New_York', '2022-10-20T00:00:00Z')).toBe('2022-11-06T05:30:00.000Z');
    // Not again at 01:30 EST: the next run is November's, Nov 8 + 26 = Dec 4.
    expect(next(26, '01:30', 'America/New_York', '2022-11-06T05:30:00Z')).toBe('2022-12-04T06:30:00.000Z');
    // Oct 13 2026 + 12 = Sun Oct 25: 02:30 CEST, not CET.
    expect(next(12, '02:30', 'Europe/Berlin', '2026-10-20T00:00:00Z')).toBe('2026-10-25T00:30:00.000Z');
    // Mar 10 2026 + 26 = Sun Apr 5: Lord Howe goes back from 02:00 (+11) to 01:30 (+10:30).
    expect(next(26, '01:45', 'Australia/Lord_Howe', '2026-03-20T00:00:00Z')).toBe('2026-04-04T14:45:00.000Z');
  });

  it("finds last month's run when a long offset carries it into this month, and crosses the year", () => {
    // Jan 14 2025 + 27 = Feb 10, the day before February's Patch Tuesday.
    expect(next(27, '03:00', 'UTC', '2025-02-01T00:00:00Z')).toBe('2025-02-10T03:00:00.000Z');
    expect(next(27, '03:00', 'UTC', '2025-02-10T03:00:00Z')).toBe('2025-03-10T03:00:00.000Z');
    // Dec 8 2026 + 27 = Jan 4 2027.
    expect(next(27, '03:00', 'UTC', '2026-12-20T00:00:00Z')).toBe('2027-01-04T03:00:00.000Z');
  });
});

describe('zoned time', () => {
  it('reads the wall clock of a zone with a 30-minute offset', () => {
    expect(new Date(wallTimeAt(at('2026-01-01T00:00:00.250Z'), 'Asia/Kolkata')).toISOString()).toBe('2026-01-01T05:30:00.250Z');
  });

  it('a whole skipped day runs when the clocks resume', () => {
    // Samoa went from 23:59:59 on Dec 29 2011 straight to 00:00 on Dec 31.
    expect(new Date(instantOfWallTime(at('2011-12-30T03:00:00Z'), 'Pacific/Apia')).toISOString()).toBe('2011-12-30T10:00:00.000Z');
  });
});
