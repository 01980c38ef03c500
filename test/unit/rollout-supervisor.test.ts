import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeldLease } from '../../rollout/drive/driver-lease.ts';
import { RolloutSupervisor } from '../../rollout/drive/supervisor.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { sampleState } from '../fixtures/store/samples.ts';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-supervisor-'));
  store = openStore(join(dir, 'patchlab.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stored(id: string, change: (s: RolloutState) => RolloutState = (s) => s): Promise<void> {
  await store.createRollout({ state: change(sampleState(id, 4)), scenario: 's.yaml', policy: STANDARD_POLICY });
}

/** A drive that takes the lease as run-rollout does and holds it until stopped. */
function leasingDrive(driven: string[]) {
  return async (id: string, signal: AbortSignal): Promise<RolloutState> => {
    const lease = await HeldLease.claim(store, id);
    driven.push(id);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await lease.release();
    return (await store.loadRollout(id))!.state;
  };
}

describe('serve drives the rollouts nobody drives', () => {
  it('drives each unfinished rollout whose lease nobody holds, once, and leaves finished ones and those another process drives', async () => {
    await stored('undriven');
    await stored('finished', (s) => ({ ...s, phase: 'completed' }));
    await stored('rolled-back', (s) => ({ ...s, phase: 'rolled-back' }));
    await stored('elsewhere');
    await stored('dead-driver');
    // Another machine's coordinator holds one lease; a killed one's lease has run out.
    await store.claimLease('elsewhere', 'coordinator-2:4242:99', Date.now(), 60_000);
    await store.claimLease('dead-driver', 'coordinator-3:77:99', Date.now() - 60_000, 30_000);
    const driven: string[] = [];
    const supervisor = new RolloutSupervisor({ store, drive: leasingDrive(driven), progress: () => undefined });
    await supervisor.sweep();
    await supervisor.sweep();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(driven.sort()).toEqual(['dead-driver', 'undriven']);
    expect(supervisor.drivenHere().sort()).toEqual(['dead-driver', 'undriven']);
    await supervisor.stop(new Error('test over'));
    expect(supervisor.drivenHere()).toEqual([]);
    expect((await store.liveLeases(Date.now())).map((l) => l.rolloutId)).toEqual(['elsewhere']);
  });

  it('waits longer after each failure to drive a rollout (its fleet is gone), and says why', async () => {
    await stored('fleet-gone');
    let now = 1_000_000;
    let attempts = 0;
    const said: string[] = [];
    const supervisor = new RolloutSupervisor({
      store,
      drive: async () => {
        attempts++;
        throw new Error('no container of rollout fleet-gone is left');
      },
      progress: (line) => said.push(line),
      retryMs: 30_000,
      now: () => now,
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    await supervisor.sweep();
    await settle();
    expect(attempts).toBe(1);
    expect(said.at(-1)).toBe('rollout fleet-gone: cannot drive it: no container of rollout fleet-gone is left; trying again in 30 s');
    now += 29_000;
    await supervisor.sweep();
    await settle();
    expect(attempts).toBe(1);
    now += 1_000;
    await supervisor.sweep();
    await settle();
    expect(attempts).toBe(2);
    expect(said.at(-1)).toMatch(/trying again in 60 s$/);
    await supervisor.stop(new Error('test over'));
  });
});
