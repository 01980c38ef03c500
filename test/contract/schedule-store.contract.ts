import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../lab/schedule/scheduler.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import type { ScheduleRunRecord, ScheduleStore, StoredScheduleRecord } from '../../lab/schedule/schedule-store.ts';
import { StoreError } from '../../lab/store/store-error.ts';
import { freshEach, type StoreHarness, type TestDatabase } from './harness.ts';

type Store = ScheduleStore & { close(): Promise<void> };

const T0 = Date.UTC(2026, 11, 8, 3, 0);

function schedule(name: string): StoredScheduleRecord {
  return { addedAt: T0, spec: parseScheduleSpec({ name, kind: 'cron', expression: '0 3 * * 2', timeZone: 'UTC', images: ['web'], patch: 'security' }) };
}

function run(name: string, startedAt: number): ScheduleRunRecord {
  return {
    schedule: name,
    startedAt,
    slotAt: startedAt,
    coalesced: false,
    finishedAt: startedAt + 60_000,
    images: [{ image: 'web', runId: `run-${startedAt}`, verdict: 'pass', upgradable: ['tzdata=2025b-0+deb12u1'], newlyUpgradable: [], patches: [], checks: [] }],
  };
}

/** Schedules and the record of their runs: what every implementation keeps and gives back. */
export function scheduleStoreContract(harness: StoreHarness<Store>): void {
  let store: Store;
  let db: TestDatabase<Store>;

  freshEach(
    harness,
    (s, d) => {
      store = s;
      db = d;
    },
    () => store,
  );

  describe('schedules', () => {
    it('lists schedules by name and refuses a name already taken', async () => {
      await store.addSchedule(schedule('tuesday'));
      await store.addSchedule(schedule('nightly'));
      expect((await store.listSchedules()).map((s) => s.spec.name)).toEqual(['nightly', 'tuesday']);
      expect(await store.listSchedules()).toContainEqual(schedule('tuesday'));
      await expect(store.addSchedule(schedule('tuesday'))).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'duplicate');
    });

    it('keeps runs oldest first, per schedule or all, and removes them with their schedule', async () => {
      await store.addSchedule(schedule('tuesday'));
      await store.addSchedule(schedule('nightly'));
      await store.recordScheduleRun(run('tuesday', T0 + 2_000));
      await store.recordScheduleRun(run('nightly', T0 + 1_000));
      await store.recordScheduleRun(run('tuesday', T0));
      expect((await store.scheduleRuns()).map((r) => [r.schedule, r.startedAt])).toEqual([
        ['tuesday', T0],
        ['nightly', T0 + 1_000],
        ['tuesday', T0 + 2_000],
      ]);
      expect(await store.scheduleRuns({ schedule: 'tuesday' })).toEqual([run('tuesday', T0), run('tuesday', T0 + 2_000)]);

      await store.removeSchedule('tuesday');
      expect((await store.scheduleRuns()).map((r) => r.schedule)).toEqual(['nightly']);
      await expect(store.removeSchedule('tuesday')).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'not-found');
    });

    it('refuses a run of a schedule it does not know', async () => {
      await expect(store.recordScheduleRun(run('ghost', T0))).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'not-found');
      expect(await store.scheduleRuns()).toEqual([]);
    });
  });

  describe('slots', () => {
    it('gives a slot to the first claimant only, however many ask at once', async () => {
      await store.addSchedule(schedule('tuesday'));
      const clients = await Promise.all([db.open(), db.open(), db.open()]);
      try {
        const answers = await Promise.all(clients.map((c, i) => c.claimScheduleSlot('tuesday', T0, `serve-${i}`, T0)));
        expect(answers.filter(Boolean)).toHaveLength(1);
        expect(await store.claimScheduleSlot('tuesday', T0, 'serve-x', T0 + 1)).toBe(false);
        expect(await store.claimScheduleSlot('tuesday', T0 + 7 * 86_400_000, 'serve-x', T0 + 1)).toBe(true);
        await expect(store.claimScheduleSlot('ghost', T0, 'serve-x', T0)).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'not-found');
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    it('runs a due slot once when three serve processes share the database', async () => {
      const due = { addedAt: T0 - 3_600_000, spec: parseScheduleSpec({ name: 'hourly', kind: 'cron', expression: '0 * * * *', timeZone: 'UTC', images: ['web'], patch: 'security' }) };
      await store.addSchedule(due);
      const clients = await Promise.all([db.open(), db.open(), db.open()]);
      const ran: string[] = [];
      const schedulers = clients.map(
        (client, i) =>
          new Scheduler({
            store: client as never,
            claimant: `serve-${i}`,
            now: () => T0 + 60_000,
            pollMs: 50,
            run: async (spec, slot) => {
              ran.push(`serve-${i}`);
              const record = { ...run(spec.name, T0 + 60_000), slotAt: slot.slotAt };
              await client.recordScheduleRun(record);
              return record;
            },
          }),
      );
      try {
        for (const s of schedulers) s.start();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } finally {
        await Promise.all(schedulers.map((s) => s.stop()));
        await Promise.all(clients.map((c) => c.close()));
      }
      expect(ran).toHaveLength(1);
      expect(await store.scheduleRuns({ schedule: 'hourly' })).toHaveLength(1);
    });
  });
}
