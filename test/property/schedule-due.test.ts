import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dueRuns, nextRunAt, nextWakeAt, type StoredSchedule } from '../../lab/schedule/due.ts';
import type { ScheduleSpec } from '../../lab/schedule/spec.ts';

const DAY = 86_400_000;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
const EXPRESSIONS = ['0 3 * * *', '30 2 * * 0', '0 */6 * * *', '0 3 * * 2#2', '0 0 1 * *', '@weekly'];

const timing = fc.oneof(
  fc.record({
    kind: fc.constant('patch-tuesday' as const),
    offsetDays: fc.integer({ min: 0, max: 27 }),
    at: fc.constantFrom('00:30', '02:30', '03:00', '23:59'),
    timeZone: fc.constantFrom(...ZONES),
  }),
  fc.record({ kind: fc.constant('cron' as const), expression: fc.constantFrom(...EXPRESSIONS), timeZone: fc.constantFrom(...ZONES) }),
);

/** Up to five schedules, each added at some time, maybe run since, and a server down for up to a year after that. */
const entry = fc.record({
  timing,
  addedAt: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
  ranAfter: fc.option(fc.integer({ min: 0, max: 60 * DAY })),
});
const world = fc
  .array(entry, { minLength: 1, maxLength: 5 })
  .chain((entries) => {
    const schedules: StoredSchedule[] = entries.map(({ timing, addedAt }, i) => ({
      spec: { ...timing, name: `s${i}`, images: ['web'], patch: 'security' } as ScheduleSpec,
      addedAt,
    }));
    const lastRunAt = new Map<string, number>(
      entries.flatMap(({ addedAt, ranAfter }, i) => (ranAfter === null ? [] : [[`s${i}`, addedAt + ranAfter] as const])),
    );
    const latest = Math.max(...schedules.map((s) => lastRunAt.get(s.spec.name) ?? s.addedAt));
    const nowMs = fc.integer({ min: latest, max: latest + 365 * DAY });
    return fc.record({ schedules: fc.constant(schedules), lastRunAt: fc.constant(lastRunAt), nowMs });
  });

describe('dueRuns', () => {
  it('names each schedule at most once, and a schedule whose slots were all missed exactly once', () => {
    fc.assert(
      fc.property(world, ({ schedules, lastRunAt, nowMs }) => {
        const due = dueRuns(schedules, lastRunAt, nowMs);
        expect(new Set(due.map((d) => d.name)).size).toBe(due.length);
        for (const { spec, addedAt } of schedules) {
          const firstSlot = nextRunAt(spec, lastRunAt.get(spec.name) ?? addedAt);
          const missed = firstSlot !== null && firstSlot <= nowMs;
          expect(due.filter((d) => d.name === spec.name)).toHaveLength(missed ? 1 : 0);
        }
      }),
      { seed: 20261112, numRuns: 300 },
    );
  });

  it('after a restart, a serve loop runs the backlog once and then each slot once', () => {
    fc.assert(
      fc.property(world, ({ schedules, lastRunAt, nowMs }) => {
        const last = new Map(lastRunAt);
        const runs = new Map<string, number>();
        const end = nowMs + 2 * DAY;
        for (let tick: number | null = nowMs; tick !== null && tick <= end; tick = nextWakeAt(schedules, last)) {
          for (const { name } of dueRuns(schedules, last, tick)) {
            runs.set(name, (runs.get(name) ?? 0) + 1);
            last.set(name, tick);
          }
        }
        for (const { spec, addedAt } of schedules) {
          const firstSlot = nextRunAt(spec, lastRunAt.get(spec.name) ?? addedAt);
          let expected = firstSlot !== null && firstSlot <= nowMs ? 1 : 0;
          for (let slot = nextRunAt(spec, nowMs); slot !== null && slot <= end; slot = nextRunAt(spec, slot)) expected += 1;
          expect(runs.get(spec.name) ?? 0).toBe(expected);
        }
      }),
      { seed: 20261113, numRuns: 150 },
    );
  });
});
