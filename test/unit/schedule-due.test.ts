import { describe, expect, it } from 'vitest';
import { dueRuns, nextRunAt, nextWakeAt, type StoredSchedule } from '../../lab/schedule/due.ts';
import type { ScheduleSpec } from '../../lab/schedule/spec.ts';

const at = (iso: string) => Date.parse(iso);
const common = { images: ['web'], patch: 'security' };
const monthly: ScheduleSpec = { ...common, name: 'monthly', kind: 'patch-tuesday', offsetDays: 1, at: '03:00', timeZone: 'Europe/Berlin' };
const nightly: ScheduleSpec = { ...common, name: 'nightly', kind: 'cron', expression: '30 2 * * *', timeZone: 'America/New_York' };
const added = (spec: ScheduleSpec, iso = '2026-01-01T00:00:00Z'): StoredSchedule => ({ spec, addedAt: at(iso) });

describe('nextRunAt', () => {
  it('covers both kinds, strictly after the instant given', () => {
    expect(nextRunAt(monthly, at('2026-03-01T00:00:00Z'))).toBe(at('2026-03-11T02:00:00Z'));
    expect(nextRunAt(nightly, at('2026-03-01T00:00:00Z'))).toBe(at('2026-03-01T07:30:00Z'));
    expect(nextRunAt(nightly, at('2026-03-01T07:30:00Z'))).toBe(at('2026-03-02T07:30:00Z'));
  });

  it('cron and Patch Tuesday follow the same DST rules', () => {
    // 02:30 does not exist in New York on Mar 8 2026: both run when the gap ends, at 03:00 EDT.
    expect(nextRunAt(nightly, at('2026-03-07T12:00:00Z'))).toBe(at('2026-03-08T07:00:00Z'));
    // 01:30 happens twice on Nov 1 2026: both run the first time only.
    const early = { ...nightly, expression: '30 1 * * *' };
    expect(nextRunAt(early, at('2026-10-31T12:00:00Z'))).toBe(at('2026-11-01T05:30:00Z'));
    expect(nextRunAt(early, at('2026-11-01T05:30:00Z'))).toBe(at('2026-11-02T06:30:00Z'));
  });
});

describe('dueRuns', () => {
  it('is due once the first slot after the last run has come, not before', () => {
    const last = new Map([['monthly', at('2026-02-11T02:00:00Z')]]);
    expect(dueRuns([added(monthly)], last, at('2026-03-11T01:59:59.999Z'))).toEqual([]);
    expect(dueRuns([added(monthly)], last, at('2026-03-11T02:00:00Z'))).toEqual([
      { name: 'monthly', slotAt: at('2026-03-11T02:00:00Z'), coalesced: false },
    ]);
  });

  it('runs a schedule missed while the server was down once, however many slots passed', () => {
    const last = new Map([['monthly', at('2026-02-11T02:00:00Z')], ['nightly', at('2026-03-01T07:30:00Z')]]);
    const now = at('2026-06-01T12:00:00Z');
    expect(dueRuns([added(nightly), added(monthly)], last, now)).toEqual([
      { name: 'nightly', slotAt: at('2026-03-02T07:30:00Z'), coalesced: true },
      { name: 'monthly', slotAt: at('2026-03-11T02:00:00Z'), coalesced: true },
    ]);
    // The serve loop records the run; the same tick, or the next, finds nothing more to do.
    const after = new Map([['monthly', now], ['nightly', now]]);
    expect(dueRuns([added(nightly), added(monthly)], after, now + 60_000)).toEqual([]);
  });

  it('a schedule that never ran waits for its first slot after it was added', () => {
    const schedule = added(monthly, '2026-03-12T00:00:00Z');
    expect(dueRuns([schedule], new Map(), at('2026-04-01T00:00:00Z'))).toEqual([]);
    expect(dueRuns([schedule], new Map(), at('2026-04-15T01:00:00Z'))).toEqual([
      { name: 'monthly', slotAt: at('2026-04-15T01:00:00Z'), coalesced: false },
    ]);
  });

  it('refuses two schedules with one name, since their last runs would be confused', () => {
    expect(() => dueRuns([added(monthly), added(monthly)], new Map(), at('2026-06-01T00:00:00Z'))).toThrow(/"monthly" appears twice/);
  });
});

describe('nextWakeAt', () => {
  it('is the earliest slot of any schedule', () => {
    const last = new Map([['nightly', at('2026-03-10T12:00:00Z')]]);
    expect(nextWakeAt([added(monthly, '2026-03-10T12:00:00Z'), added(nightly)], last)).toBe(at('2026-03-11T02:00:00Z'));
    expect(nextWakeAt([], last)).toBeNull();
  });
});
