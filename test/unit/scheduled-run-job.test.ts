import fc from 'fast-check';
import { runOnce } from 'graphile-worker';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureJobSchema, quietLogger } from '../../lab/jobs/job-schema.ts';
import { claimSlotWithJob, claimSlotWithJobOn, SCHEDULED_RUN_TASK, scheduledRunKey, scheduledRunTask, type ScheduledRunPayload } from '../../lab/jobs/scheduled-run-job.ts';
import type { Notification } from '../../lab/notify/notification.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { Scheduler } from '../../lab/schedule/scheduler.ts';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import { openPostgresDatabase } from '../../lab/store/postgres-database.ts';
import { inTransaction } from '../../lab/store/postgres-transaction.ts';
import { openPostgresStore } from '../../rollout/store/postgres-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from '../contract/postgres-cluster.ts';
import { sampleReport } from '../fixtures/store/samples.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A scheduled run on workers, on a real PostgreSQL server (a throwaway cluster on a Unix socket):
 * the slot's claim and its run's job commit together or not at all, whatever goes wrong between
 * them, and three serves on one database queue a due slot once. The lab of the queued run is a
 * stand-in returning a stored report (the real lab run on a worker is lab-run-job's, tested with
 * real containers in test/integration/workers-rollout.test.ts): here the queue is under test.
 */
let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const T0 = Date.UTC(2026, 11, 8, 3, 0);
const HOUR = 3_600_000;
const spec = (name: string) => parseScheduleSpec({ name, kind: 'cron', expression: '0 * * * *', timeZone: 'UTC', images: ['web'], patch: 'security' });
const payload = (schedule: string, slotAt: number): ScheduledRunPayload => ({ schedule, slotAt, coalesced: false, holds: [], bisectMaxRuns: 0 });

let database: TestDatabaseOnCluster;
let store: Store;
let pool: pg.Pool;
beforeEach(async () => {
  database = await cluster!.createDatabase();
  store = await openPostgresStore(database.url);
  pool = (await openPostgresDatabase(database.url)).pool;
  await ensureJobSchema(pool);
  for (const name of ['hourly', 'nightly']) await store.addSchedule({ addedAt: T0 - 2 * HOUR, spec: spec(name) });
});
afterEach(async () => {
  await pool.end();
  await store.close();
  await database.drop();
});

const claims = async () =>
  (await pool.query<{ k: string }>('SELECT schedule || \'/\' || slot_at AS k FROM schedule_claims ORDER BY 1')).rows.map((r) => `${SCHEDULED_RUN_TASK}/${r.k}`);
const jobs = async () => (await pool.query<{ key: string }>('SELECT key FROM graphile_worker.jobs WHERE task_identifier = $1 ORDER BY 1', [SCHEDULED_RUN_TASK])).rows.map((r) => r.key);

describe("a scheduled run's job and its slot's claim", () => {
  it('leave nothing when the transaction is rolled back after the claim', async () => {
    await expect(
      inTransaction(pool, async (client) => {
        expect(await claimSlotWithJobOn(client, payload('hourly', T0), 'serve-1', T0)).toBe(true);
        throw new Error('the serve crashed here');
      }),
    ).rejects.toThrow('the serve crashed here');
    expect(await claims()).toEqual([]);
    expect(await jobs()).toEqual([]);
    // The slot is still free: the next serve to look claims it, with its job.
    expect(await claimSlotWithJob(pool, payload('hourly', T0), 'serve-2', T0 + 1)).toBe(true);
    expect(await jobs()).toEqual([scheduledRunKey('hourly', T0)]);
    expect(await claims()).toEqual(await jobs());
  });

  it('leave nothing when the connection dies before the commit', async () => {
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    client.on('error', () => undefined);
    await client.query('BEGIN');
    expect(await claimSlotWithJobOn(client, payload('hourly', T0), 'serve-1', T0)).toBe(true);
    // As a kill -9 of the serve: the server ends the session and never commits it.
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    client.release(new Error('terminated'));
    expect(await claims()).toEqual([]);
    expect(await jobs()).toEqual([]);
  });

  it('always commit together, one job per claimed slot, whatever claims commit or roll back', async () => {
    const step = fc.record({ schedule: fc.constantFrom('hourly', 'nightly'), slot: fc.integer({ min: 0, max: 2 }), commit: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        await pool.query('DELETE FROM schedule_claims');
        await pool.query('DELETE FROM graphile_worker._private_jobs');
        const committed = new Set<string>();
        for (const s of steps) {
          const key = scheduledRunKey(s.schedule, T0 + s.slot * HOUR);
          const claimed = await inTransaction(pool, async (client) => {
            const first = await claimSlotWithJobOn(client, payload(s.schedule, T0 + s.slot * HOUR), 'serve', T0);
            if (!s.commit) throw new Error('rolled back');
            return first;
          }).catch(() => undefined);
          if (s.commit) {
            expect(claimed).toBe(!committed.has(key));
            committed.add(key);
          }
          expect(await claims()).toEqual(await jobs());
        }
        expect(await jobs()).toEqual([...committed].sort());
      }),
      { numRuns: 25 },
    );
  });
});

describe('a due slot with workers', () => {
  it('is queued once by three serves, and its run on a worker is recorded once, retried or not', async () => {
    const pools = await Promise.all([1, 2, 3].map(async () => (await openPostgresDatabase(database.url)).pool));
    const ranHere: string[] = [];
    const claimed: string[] = [];
    const schedulers = pools.map(
      (p, i) =>
        new Scheduler({
          store,
          claimant: `serve-${i}`,
          now: () => T0 + 60_000,
          pollMs: 50,
          claim: async (due, claimant, at) => {
            const outcome = (await claimSlotWithJob(p, { ...payload(due.name, due.slotAt), coalesced: due.coalesced }, claimant, at)) ? 'queued' : 'taken';
            claimed.push(`${due.name} ${outcome}`);
            return outcome;
          },
          run: async () => {
            ranHere.push(`serve-${i}`);
            throw new Error('a queued slot must not run in serve');
          },
        }),
    );
    try {
      for (const s of schedulers) s.start();
      await new Promise((resolve) => setTimeout(resolve, 800));
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      await Promise.all(pools.map((p) => p.end()));
    }
    expect(ranHere).toEqual([]);
    expect(claimed.filter((c) => c.endsWith('queued')).sort()).toEqual(['hourly queued', 'nightly queued']);
    // Added two hours before: the slots of T0 - 1 h and T0 passed, and run once as the first.
    const slotAt = T0 - HOUR;
    expect(await jobs()).toEqual([scheduledRunKey('hourly', slotAt), scheduledRunKey('nightly', slotAt)]);

    const labRuns: string[] = [];
    const notified: Notification[] = [];
    const cacheDir = mkdtempSync(join(tmpdir(), 'patchlab-cache-'));
    try {
      const task = scheduledRunTask({
        store,
        cache: new PackageCache(cacheDir),
        progress: () => undefined,
        notify: (n) => notified.push(n),
        lab: async (image) => {
          labRuns.push(image);
          return sampleReport(`lab-${labRuns.length}`, image, new Date(T0).toISOString(), 'fail');
        },
      });
      // graphile-worker's own runner takes both jobs, as `patchlab worker` would.
      await runOnce({ pgPool: pool, logger: quietLogger, taskList: { [SCHEDULED_RUN_TASK]: async (p) => task(p as ScheduledRunPayload) } });
      expect(await jobs()).toEqual([]);
      expect((await store.scheduleRuns()).map((r) => `${r.schedule} ${r.slotAt} ${r.images[0]?.verdict}`).sort()).toEqual([`hourly ${slotAt} fail`, `nightly ${slotAt} fail`]);
      expect(notified.map((n) => n.kind)).toEqual(['schedule.failed', 'schedule.failed']);
      // A retry of a run already recorded (its worker died after recording it) runs nothing again.
      await task(payload('hourly', slotAt));
      expect(labRuns).toEqual(['web', 'web']);
      expect(await store.scheduleRuns({ schedule: 'hourly' })).toHaveLength(1);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
