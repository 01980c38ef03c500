import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DueRun } from '../../lab/schedule/due.ts';
import { Scheduler } from '../../lab/schedule/scheduler.ts';
import { parseScheduleSpec, type ScheduleSpec } from '../../lab/schedule/spec.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12, 30);

/** The scheduler's own port: what a run does is not its business, only when and how often it runs. */
async function startWith(schedules: { spec: ScheduleSpec; addedAt: number }[], lastRuns: { name: string; at: number }[] = []) {
  const store = openStore(':memory:');
  for (const s of schedules) await store.addSchedule(s);
  for (const r of lastRuns) await store.recordScheduleRun({ schedule: r.name, startedAt: r.at, slotAt: r.at, coalesced: false, finishedAt: r.at, images: [] });
  const calls: DueRun[] = [];
  const scheduler = new Scheduler({
    store,
    now: () => NOW,
    pollMs: 20,
    run: async (spec, due) => {
      calls.push(due);
      const record = { schedule: spec.name, startedAt: NOW, slotAt: due.slotAt, coalesced: due.coalesced, finishedAt: NOW, images: [] };
      await store.recordScheduleRun(record);
      return record;
    },
  });
  scheduler.start();
  await sleep(300);
  await scheduler.stop();
  await store.close();
  return calls;
}

const hourly = parseScheduleSpec({ kind: 'cron', name: 'hourly', expression: '0 * * * *', timeZone: 'UTC', images: ['web'], patch: 'security' });
const monthly = parseScheduleSpec({ kind: 'patch-tuesday', name: 'monthly', offsetDays: 1, at: '03:00', timeZone: 'Europe/Paris', images: ['web'], patch: 'security' });

describe('the scheduler in serve', () => {
  it('runs a schedule whose slots passed while the server was down once, not once per slot', async () => {
    const calls = await startWith([{ spec: hourly, addedAt: NOW - 72 * HOUR }]);
    expect(calls).toEqual([{ name: 'hourly', slotAt: NOW - 72 * HOUR + 30 * 60_000, coalesced: true }]);
  });

  it('runs nothing when no slot has come since the last run', async () => {
    expect(await startWith([{ spec: hourly, addedAt: NOW - 72 * HOUR }], [{ name: 'hourly', at: NOW - 10 * 60_000 }])).toEqual([]);
    // Added today, after this month's slot (Patch Tuesday the 10th, plus a day): the next is in December.
    expect(await startWith([{ spec: monthly, addedAt: NOW - HOUR }])).toEqual([]);
  });
});
