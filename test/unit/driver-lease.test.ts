import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ownerToken } from '../../lab/hosts/labels.ts';
import { HeldLease, leaseSettingsFrom, recordTakeOver } from '../../rollout/drive/driver-lease.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { DriverBusy } from '../../rollout/store/lease-store.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { timelineEntry } from '../../web/views/timeline.ts';
import { fleetOf, MINUTE, NEW_VERSION } from './rollout-harness.ts';

/*
 * The driver's side of the lease, on a real (in-memory SQLite) store: its renewals run on timers,
 * which the test advances together with the injected clock; a stopped process is the clock moving
 * while its timers do not run.
 */
const T0 = Date.UTC(2026, 11, 8, 9, 0);
const settings = { ttlMs: 30_000, renewMs: 10_000 };
let store: Store;
let now: number;
const clock = () => now;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  store = openStore(':memory:');
  now = T0;
});

afterEach(async () => {
  vi.useRealTimers();
  await store.close();
});

/** Moves the clock and runs the timers due, as a running process would see time pass. */
async function pass(ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 1000) {
    now += 1000;
    await vi.advanceTimersByTimeAsync(1000);
  }
}

describe('a driver’s lease', () => {
  it('is renewed while the driver runs, so no other process can claim the rollout, and is free at once when released', async () => {
    const lease = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'a:1:1' });
    expect(lease.epoch).toBe(1);
    await pass(95_000);
    expect(lease.mayAct()).toBe(true);
    await expect(store.claimLease('r1', 'b:2:2', now, settings.ttlMs)).rejects.toBeInstanceOf(DriverBusy);
    await lease.release();
    expect(await store.liveLeases(now)).toEqual([]);
    expect((await store.claimLease('r1', 'b:2:2', now, settings.ttlMs)).epoch).toBe(2);
  });

  it('after a pause longer than its lease may not act, and on waking is told another process took the rollout over', async () => {
    const a = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'a:1:1' });
    await pass(5_000);
    // SIGSTOP: the clock moves, no timer of the stopped process runs.
    now += 45_000;
    expect(a.mayAct()).toBe(false);
    const b = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'b:2:2' });
    expect(b.epoch).toBe(2);

    // SIGCONT: its overdue renewal runs and is refused.
    await vi.advanceTimersByTimeAsync(settings.renewMs);
    expect(a.lost.aborted).toBe(true);
    expect((a.lost.reason as Error).message).toBe(
      "rollout r1: this driver's lease (epoch 1) was taken over by another process (it is at epoch 2, held by patchlab process 2 on b); refusing its write, it stops driving",
    );
    expect(a.mayAct()).toBe(false);
    await a.release();
    expect(await store.liveLeases(now)).toEqual([{ rolloutId: 'r1', owner: 'b:2:2', epoch: 2, expiresAt: now + settings.ttlMs }]);
    await b.release();
  });

  it('may act again after a short pause once a renewal went through, when nobody took the rollout', async () => {
    const a = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'a:1:1' });
    now += 25_000;
    expect(a.mayAct()).toBe(false);
    await vi.advanceTimersByTimeAsync(settings.renewMs);
    expect(a.lost.aborted).toBe(false);
    expect(a.mayAct()).toBe(true);
    await a.release();
  });

  it('on this one-machine store, replaces at once the lease of a driver whose process is gone, but not a live one’s', async () => {
    const gone = spawnSync('true').pid;
    const host = hostname();
    await store.claimLease('r1', `${host}:${gone}:1`, now, settings.ttlMs);
    const lease = await HeldLease.claim(store, 'r1', { settings, now: clock });
    expect(lease.epoch).toBe(2);
    await lease.release();

    const alive = ownerToken(process.ppid);
    await store.claimLease('r2', alive, now, settings.ttlMs);
    await expect(HeldLease.claim(store, 'r2', { settings, now: clock })).rejects.toThrow(`rollout r2 is already driven by patchlab process ${process.ppid} on ${host}`);
  });

  it('keeps trying when a renewal fails for another reason, and says why', async () => {
    const said: string[] = [];
    const a = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'a:1:1', onError: (m) => said.push(m) });
    const renew = vi.spyOn(store, 'renewLease').mockRejectedValueOnce(new Error('connection terminated'));
    await pass(20_000);
    expect(said).toEqual(['rollout r1: renewing its lease: connection terminated']);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(a.lost.aborted).toBe(false);
    expect(a.mayAct()).toBe(true);
    await a.release();
  });
});

describe('lease settings', () => {
  it('default to 30 s renewed every 10 s, and follow PATCHLAB_LEASE_TTL and PATCHLAB_LEASE_RENEW', () => {
    expect(leaseSettingsFrom({})).toEqual({ ttlMs: 30_000, renewMs: 10_000 });
    expect(leaseSettingsFrom({ PATCHLAB_LEASE_TTL: '6' })).toEqual({ ttlMs: 6_000, renewMs: 2_000 });
    expect(leaseSettingsFrom({ PATCHLAB_LEASE_TTL: '60', PATCHLAB_LEASE_RENEW: '0.5' })).toEqual({ ttlMs: 60_000, renewMs: 500 });
  });

  it('refuses a value that is not a positive number of seconds, or a renewal slower than half the lease, naming the variable', () => {
    expect(() => leaseSettingsFrom({ PATCHLAB_LEASE_TTL: 'soon' })).toThrow('PATCHLAB_LEASE_TTL: expected a number of seconds above 0, got "soon"');
    expect(() => leaseSettingsFrom({ PATCHLAB_LEASE_RENEW: '-1' })).toThrow('PATCHLAB_LEASE_RENEW: expected a number of seconds above 0, got "-1"');
    expect(() => leaseSettingsFrom({ PATCHLAB_LEASE_TTL: '10', PATCHLAB_LEASE_RENEW: '6' })).toThrow(
      'PATCHLAB_LEASE_RENEW: expected at most half of PATCHLAB_LEASE_TTL (10 s), got 6 s',
    );
  });
});

describe('a driver taking a rollout over', () => {
  const rings: RingSpec[] = [{ name: 'all', hosts: 'rest', concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: MINUTE, requiresApproval: false, healthGate: { latency: false } }];

  async function storedRollout(): Promise<void> {
    const state = createRollout({ id: 'r1', patch: { name: 'tzdata', version: NEW_VERSION, severity: 'medium' }, hosts: fleetOf(2), rings, now: T0 });
    await store.createRollout({ state, scenario: 'test', policy: STANDARD_POLICY });
  }

  it('stores when it took over, in the state and the audit log, so check timeouts run from then; the old driver may not write it', async () => {
    await storedRollout();
    const a = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'a:1:1' });
    // A stops (SIGSTOP) longer than its lease; B claims the rollout and records its take-over.
    now += 20 * MINUTE;
    const b = await HeldLease.claim(store, 'r1', { settings, now: clock, owner: 'b:2:2' });
    const after = await recordTakeOver(store, 'r1', b, clock);
    expect(after.takeOvers).toEqual([now]);
    expect(after.audit.at(-1)).toMatchObject({ at: now, actor: 'b:2:2', action: 'take-over', reasons: [`driver b:2:2 took over at ${new Date(now).toISOString()}`, expect.any(String)] });
    const record = await store.loadRollout('r1');
    expect(record?.state).toEqual(after);
    // The page's timeline says who took over and when.
    const shown = timelineEntry(after.audit.at(-1)!, after.audit.length - 1, after).value;
    expect(shown).toContain('take over');
    expect(shown).toContain(`driver b:2:2 took over at ${new Date(now).toISOString()}`);
    expect((await store.transitions('r1')).at(-1)).toMatchObject({ at: now, actor: 'b:2:2', kind: 'command', payload: { name: 'take-over', driver: 'b:2:2' } });

    // A wakes and tries the same: refused by the epoch, it learns it lost the rollout, and nothing is stored.
    now += 1000;
    await expect(recordTakeOver(store, 'r1', a, clock)).rejects.toMatchObject({ code: 'fenced' });
    expect(a.lost.aborted).toBe(true);
    expect((await store.loadRollout('r1'))?.state.takeOvers).toEqual(after.takeOvers);
    await b.release();
  });
});
