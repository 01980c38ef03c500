import { describe, expect, it } from 'vitest';
import { hostsToCheck } from '../../rollout/engine/check-selection.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { BASE_VERSION, fleetOf, NEW_VERSION, T0 } from './rollout-harness.ts';

const ring = (name: string, count: number | 'rest', latency: boolean): RingSpec => ({
  name,
  hosts: count === 'rest' ? 'rest' : { count },
  concurrency: { count: 2 },
  failureBudget: { count: 0 },
  soakMs: 1_000,
  requiresApproval: false,
  healthGate: { latency },
});

function rollout(latency: boolean) {
  return createRollout({
    id: 'r',
    patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
    hosts: fleetOf(10),
    rings: [ring('canary', 2, latency), ring('broad', 'rest', false)],
    now: T0,
  });
}

describe('which hosts a check round covers', () => {
  it('covers no host before the patch reaches one, when the ring is not judged on latency', () => {
    expect(hostsToCheck(rollout(false))).toEqual([]);
  });

  it('covers the hosts being patched or patched, and never the untouched rest', () => {
    const state = rollout(false);
    const canary = state.rings[0]!.hostIds;
    const after = apply(state, { action: 'patch-hosts', ring: 0, hosts: canary, reasons: ['test'], figures: {} }, T0 + 1);
    expect(hostsToCheck(after).sort()).toEqual([...canary].sort());
  });

  it('adds as many unpatched hosts as the ring has for a latency baseline, from later rings first', () => {
    const state = rollout(true);
    const picked = hostsToCheck(state);
    expect(picked).toHaveLength(2);
    const broad = new Set(state.rings[1]!.hostIds);
    expect(picked.every((id) => broad.has(id))).toBe(true);
    expect(state.hosts.filter((h) => picked.includes(h.id)).every((h) => h.version === BASE_VERSION)).toBe(true);
  });
});
