import { describe, expect, it } from 'vitest';
import { StoreError } from '../../lab/store/store-error.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { ENGINE } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { DriverBusy, type LeaseStore } from '../../rollout/store/lease-store.ts';
import type { RolloutStore } from '../../rollout/store/rollout-store.ts';
import { sampleState, T0 } from '../fixtures/store/samples.ts';
import { freshEach, type StoreHarness, type TestDatabase } from './harness.ts';

type Store = RolloutStore & LeaseStore & { close(): Promise<void> };

const TTL = 30_000;
const A = 'coordinator-a:101:5000';
const B = 'coordinator-b:202:6000';

/** One driver per rollout through the database: claim, renew, expiry, and the epoch that fences an old driver's writes. */
export function leaseStoreContract(harness: StoreHarness<Store>): void {
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

  const refusal = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  describe('driver leases', () => {
    it('gives a free rollout to the first claimer, refuses another owner until it expires, then hands it over with a higher epoch', async () => {
      const a = await store.claimLease('r1', A, T0, TTL);
      expect(a).toEqual({ rolloutId: 'r1', owner: A, epoch: 1, expiresAt: T0 + TTL });
      expect(await store.liveLeases(T0 + 1)).toEqual([a]);

      const busy = await refusal(store.claimLease('r1', B, T0 + TTL - 1, TTL));
      expect(busy).toBeInstanceOf(DriverBusy);
      expect((busy as Error).message).toBe(
        'rollout r1 is already driven by patchlab process 101 on coordinator-a; stop that one first (Ctrl-C pauses it and keeps its fleet), or, if it is gone, its lease expires in 1 s and another process may drive it then',
      );

      // Expired: nobody drives it, and the next claim takes it with the next epoch.
      expect(await store.liveLeases(T0 + TTL)).toEqual([]);
      const b = await store.claimLease('r1', B, T0 + TTL, TTL);
      expect(b).toEqual({ rolloutId: 'r1', owner: B, epoch: 2, expiresAt: T0 + 2 * TTL });
      expect(await store.liveLeases(T0 + TTL)).toEqual([b]);
    });

    it('keeps a renewed lease from being claimed, and refuses the renewal of a lease taken over', async () => {
      const a = await store.claimLease('r1', A, T0, TTL);
      const renewed = await store.renewLease(a, T0 + TTL - 5, TTL);
      expect(renewed).toEqual({ ...a, expiresAt: T0 + 2 * TTL - 5 });
      expect(await refusal(store.claimLease('r1', B, T0 + TTL + 1, TTL))).toBeInstanceOf(DriverBusy);

      // A paused past its expiry: B takes over, and A's renewal on waking is refused.
      const b = await store.claimLease('r1', B, T0 + 3 * TTL, TTL);
      const lost = await refusal(store.renewLease(renewed, T0 + 3 * TTL + 1, TTL));
      expect(lost).toBeInstanceOf(StoreError);
      expect((lost as StoreError).code).toBe('fenced');
      expect((lost as Error).message).toBe(
        "rollout r1: this driver's lease (epoch 1) was taken over by another process (it is at epoch 2, held by patchlab process 202 on coordinator-b); refusing its write, it stops driving",
      );
      expect(await store.liveLeases(T0 + 3 * TTL + 1)).toEqual([b]);
    });

    it('lets the holder renew a lease that expired while nobody claimed it: its epoch is still the lease', async () => {
      const a = await store.claimLease('r1', A, T0, TTL);
      expect((await store.renewLease(a, T0 + 5 * TTL, TTL)).expiresAt).toBe(T0 + 6 * TTL);
    });

    it('frees a released lease at once but never reuses its epoch; a release of a lease taken over changes nothing', async () => {
      const a = await store.claimLease('r1', A, T0, TTL);
      await store.releaseLease(a);
      expect(await store.liveLeases(T0)).toEqual([]);
      const b = await store.claimLease('r1', B, T0 + 1, TTL);
      expect(b.epoch).toBe(2);
      await store.releaseLease(a);
      expect(await store.liveLeases(T0 + 1)).toEqual([b]);
      // Its own lease again (a driver that starts over): a new epoch, fencing the earlier claim.
      expect((await store.claimLease('r1', B, T0 + 2, TTL)).epoch).toBe(3);
      expect((await store.claimLease('r2', A, T0 + 2, TTL)).epoch).toBe(1);
    });

    it('replaces a lease before it expires only while it is still at the epoch the claimer saw (a holder known dead)', async () => {
      const a = await store.claimLease('r1', A, T0, TTL);
      const b = await store.claimLease('r1', B, T0 + 1, TTL, { epoch: a.epoch });
      expect(b).toEqual({ rolloutId: 'r1', owner: B, epoch: 2, expiresAt: T0 + 1 + TTL });
      // A third claimer that also saw epoch 1 is too late: B holds it now.
      const busy = await refusal(store.claimLease('r1', 'coordinator-c:303:7000', T0 + 2, TTL, { epoch: a.epoch }));
      expect(busy).toBeInstanceOf(DriverBusy);
      expect((busy as DriverBusy).epoch).toBe(2);
      expect(typeof store.oneMachine).toBe('boolean');
    });

    it('gives the lease to exactly one of two clients claiming at once', async () => {
      const other = await db.open();
      try {
        const results = await Promise.allSettled([store.claimLease('r1', A, T0, TTL), other.claimLease('r1', B, T0, TTL)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.filter((r) => r.status === 'rejected');
        expect(rejected).toHaveLength(1);
        expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(DriverBusy);
      } finally {
        await other.close();
      }
    });

    it('refuses every write of a driver whose epoch is old, stores none of it, and takes the new driver’s and people’s writes', async () => {
      const start = sampleState();
      await store.createRollout({ state: start, scenario: 's.yaml', policy: STANDARD_POLICY });
      const a = await store.claimLease(start.id, A, T0, TTL);
      const host = start.rings[0]!.hostIds[0]!;
      const decision: Decision = { action: 'patch-hosts', ring: 0, hosts: [host], reasons: ['ring canary'], figures: { pending: 1 } };
      const next = apply(start, decision, T0 + 1);
      const step = { at: T0 + 1, actor: ENGINE, kind: 'decision' as const, payload: decision };
      expect(await store.recordTransition(start.id, step, next, 0, a)).toBe(1);

      const b = await store.claimLease(start.id, B, T0 + TTL, TTL);
      const observation = { hostId: host, at: T0 + TTL + 1, version: 'v', checks: [] };
      const sample = { at: T0 + TTL + 1, ring: 'canary', passRate: 1, failed: 0, budget: 0 };
      // Thunks, each awaited as it starts: a write refused while another is awaited would be an unhandled rejection.
      const old = [
        () => store.recordTransition(start.id, { ...step, at: T0 + TTL + 1 }, { ...next, phase: 'paused' }, 1, a),
        () => store.recordObservations(start.id, [observation], a),
        () => store.recordHealthSample(start.id, sample, a),
      ];
      for (const write of old) {
        const error = await refusal(write());
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).code).toBe('fenced');
      }
      expect((await store.loadRollout(start.id))?.seq).toBe(1);
      expect(await store.transitions(start.id)).toHaveLength(1);
      expect(await store.observations(start.id)).toEqual([]);
      expect(await store.healthSamples(start.id)).toEqual([]);

      await store.recordObservations(start.id, [observation], b);
      await store.recordHealthSample(start.id, sample, b);
      const paused = { ...next, phase: 'paused' as const };
      expect(await store.recordTransition(start.id, { at: T0 + TTL + 2, actor: 'alice', kind: 'command', payload: {} }, paused, 1)).toBe(2);
      expect(await store.observations(start.id)).toHaveLength(1);
      expect(await store.healthSamples(start.id)).toHaveLength(1);
      // A fence for a rollout whose lease was never claimed is no lease at all.
      const never = await refusal(store.recordObservations('unclaimed', [observation], { epoch: 1 }));
      expect((never as StoreError).code).toBe('fenced');
    });

    it('refuses a lease time that is not a positive number of milliseconds', async () => {
      await expect(store.claimLease('r1', A, T0, 0)).rejects.toThrow('lease time: expected a positive whole number of milliseconds, got 0');
      await expect(store.claimLease('r1', A, T0, Number.NaN)).rejects.toThrow(/got NaN/);
    });
  });
}
