import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../rollout/fleets/fleet.ts';
import type { Observation } from '../../rollout/engine/observations.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { driveRollout, type RunnerStore } from '../../rollout/drive/runner.ts';
import { createRollout, type RolloutState } from '../../rollout/engine/state.ts';
import { GONE_REASON } from '../../rollout/engine/hosts-gone.ts';
import type { HostEvent } from '../../rollout/engine/transitions.ts';
import { BASE_VERSION, CHECK, fleetOf, NEW_VERSION, T0 } from './rollout-harness.ts';

/** One host, one ring without soak: the rollout completes as soon as the host is patched and checked. */
function oneHostRollout(): RolloutState {
  return createRollout({
    id: 'rollout-1',
    patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
    hosts: fleetOf(1),
    rings: [{ name: 'only', hosts: 'rest', concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } }],
    now: T0,
  });
}

function memoryStore(state: RolloutState): RunnerStore {
  let current = { state, seq: 0 };
  return {
    async current() {
      return current;
    },
    async commit(_id, _step, after, expectedSeq) {
      if (expectedSeq !== current.seq) return false;
      current = { state: after, seq: current.seq + 1 };
      return true;
    },
  };
}

/** The runner's standard policy, a round of checks a second, on the fake clock. */
function onClock(clock: { now: number; sleep: (ms: number) => Promise<void> }) {
  return { policy: STANDARD_POLICY, checkIntervalMs: 1_000, now: () => clock.now, sleep: clock.sleep };
}

/** A clock that moves only when the runner sleeps. */
function fakeClock() {
  const clock = { now: T0, sleep: async (ms: number) => {
    clock.now += ms;
    await tick();
  } };
  return clock;
}

describe('the rollout runner', () => {
  it('tries a host whose work failed again after a pause, not at every tick, and then goes on', async () => {
    const clock = fakeClock();
    const attempts: number[] = [];
    const errors: string[] = [];
    const fleet: Fleet = {
      hosts: () => [{ id: 'web-001', labels: {}, version: attempts.length > 3 ? NEW_VERSION : BASE_VERSION }],
      async patch(hostId): Promise<HostEvent> {
        attempts.push(clock.now);
        // The first three attempts meet a Docker engine that is restarting.
        if (attempts.length <= 3) throw new Error('connect ECONNREFUSED /var/run/docker.sock');
        return { type: 'patched', hostId, version: NEW_VERSION };
      },
      rollback: () => Promise.reject(new Error('no rollback expected')),
      check: async (hostId): Promise<Observation> => ({ hostId, at: clock.now, version: NEW_VERSION, checks: [{ id: CHECK, status: 'pass' }] }),
      close: async () => undefined,
    };
    const final = await driveRollout('rollout-1', {
      store: memoryStore(oneHostRollout()),
      fleet,
      ...onClock(clock),
      onError: (message) => errors.push(message),
    });
    expect(final.phase).toBe('completed');
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(gaps.every((gap) => gap >= 2_000)).toBe(true);
    expect(errors).toEqual(Array(3).fill('host web-001: connect ECONNREFUSED /var/run/docker.sock; will try again in 2 s'));
  });

  it('says once which hosts its fleet no longer has, never checks or patches them, and fails their patch at once with that reason', async () => {
    const clock = fakeClock();
    const asked: string[] = [];
    const errors: string[] = [];
    const told: string[][] = [];
    // web-002 was removed by hand: the fleet found only web-001 again.
    const fleet: Fleet = {
      hosts: () => [{ id: 'web-001', labels: {}, version: BASE_VERSION }],
      patch: async (hostId) => (asked.push(`patch ${hostId}`), { type: 'patched', hostId, version: NEW_VERSION }),
      rollback: async (hostId) => (asked.push(`rollback ${hostId}`), { type: 'rolled-back', hostId, version: BASE_VERSION }),
      check: async (hostId) => (asked.push(`check ${hostId}`), { hostId, at: clock.now, version: NEW_VERSION, checks: [{ id: CHECK, status: 'pass' }] }),
      close: async () => undefined,
    };
    const start = createRollout({
      id: 'rollout-1',
      patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
      hosts: fleetOf(2),
      rings: [{ name: 'only', hosts: 'rest', concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } }],
      now: T0,
    });
    const final = await driveRollout('rollout-1', {
      store: memoryStore(start),
      fleet,
      ...onClock(clock),
      onError: (message) => errors.push(message),
      onHostsGone: async (hostIds) => void told.push(hostIds),
    });
    expect(told).toEqual([['web-002']]);
    expect(asked.filter((a) => a.endsWith('web-002'))).toEqual([]);
    expect(final.phase).toBe('rolled-back');
    expect(final.hosts.map((h) => [h.id, h.phase, h.version])).toEqual([['web-001', 'rolled-back', BASE_VERSION], ['web-002', 'rolled-back', BASE_VERSION]]);
    // The engine's decision names why: the release manager sees the host is gone, not a failed install.
    expect(final.audit.find((e) => e.action === 'rollback')?.reasons[0]).toContain(GONE_REASON);
    expect(errors).toEqual([]);
  });

  it('returns only once the round of checks it started has ended, so nothing lands after its caller is done', async () => {
    const clock = fakeClock();
    let checksRunning = 0;
    let runningAtReturn: number | undefined;
    const fleet: Fleet = {
      hosts: () => [{ id: 'web-001', labels: {}, version: BASE_VERSION }],
      patch: async (hostId) => ({ type: 'patched', hostId, version: NEW_VERSION }),
      rollback: () => Promise.reject(new Error('no rollback expected')),
      async check(hostId) {
        checksRunning++;
        // A slow check: real time, which the fake clock does not shorten.
        await new Promise((resolve) => setTimeout(resolve, 50));
        checksRunning--;
        return { hostId, at: clock.now, version: NEW_VERSION, checks: [{ id: CHECK, status: 'pass' }] };
      },
      close: async () => undefined,
    };
    await driveRollout('rollout-1', {
      store: memoryStore(oneHostRollout()),
      fleet,
      policy: STANDARD_POLICY,
      checkIntervalMs: 10,
      now: () => clock.now,
      sleep: clock.sleep,
    }).then(() => (runningAtReturn = checksRunning));
    expect(runningAtReturn).toBe(0);
  });

  it('moves on from host results and check results alone: with a clock that stands still and a tick that never comes, every wave, first check and promotion still happens', async () => {
    const rings = [
      { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
      { name: 'broad', hosts: 'rest', concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
    ] as const;
    const state = createRollout({ id: 'rollout-1', patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' }, hosts: fleetOf(3), rings: [...rings], now: T0 });
    const versions = new Map(fleetOf(3).map((h) => [h.id, BASE_VERSION]));
    const checked: string[] = [];
    const fleet: Fleet = {
      hosts: () => [...versions].map(([id, version]) => ({ id, labels: {}, version })),
      async patch(hostId): Promise<HostEvent> {
        await tick();
        versions.set(hostId, NEW_VERSION);
        return { type: 'patched', hostId, version: NEW_VERSION };
      },
      rollback: () => Promise.reject(new Error('no rollback expected')),
      async check(hostId): Promise<Observation> {
        await tick();
        checked.push(hostId);
        return { hostId, at: T0, version: versions.get(hostId) ?? BASE_VERSION, checks: [{ id: CHECK, status: 'pass' }] };
      },
      close: async () => undefined,
    };
    const decisions: string[] = [];
    const final = await driveRollout('rollout-1', {
      store: memoryStore(state),
      fleet,
      policy: STANDARD_POLICY,
      // Never due again after the first (empty) round: only a host's first check after its patch can run.
      checkIntervalMs: 60_000,
      now: () => T0,
      sleep: () => new Promise<void>(() => undefined),
      onDecision: (d) => decisions.push(d.action),
    });
    expect(final.phase).toBe('completed');
    expect(decisions).toEqual(['patch-hosts', 'promote', 'patch-hosts', 'patch-hosts', 'complete']);
    // Each host checked once, after its patch: what its ring waited for.
    expect(checked.sort()).toEqual([...versions.keys()].sort());
  });
});
