import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostsGone } from '../../rollout/engine/hosts-gone.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { fleetOf, NEW_VERSION, T0 } from '../unit/rollout-harness.ts';

const rollout = (size: number) =>
  createRollout({
    id: 'rollout-1',
    patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
    hosts: fleetOf(size),
    rings: [{ name: 'only', hosts: 'rest', concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } }],
    now: T0,
  });

describe('hosts gone from a fleet, on the timeline', () => {
  it('is said once for the same hosts in any order, again when they change, and changes nothing but the audit log', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.nat(), (size, picks, more) => {
        const state = rollout(size);
        const ids = [...new Set(picks.map((p) => state.hosts[p % size]!.id))];
        const once = hostsGone(state, ids, 'driver-a', T0 + 1);
        expect(once.audit).toHaveLength(state.audit.length + 1);
        expect({ ...once, audit: state.audit }).toEqual(state);
        expect(once.audit.at(-1)?.reasons[0]).toContain(`${ids.length} of ${size} hosts are gone`);
        // A driver started again finds the same hosts gone, in whatever order its fleet lists them.
        expect(hostsGone(once, [...ids].reverse(), 'driver-b', T0 + 2)).toBe(once);
        const other = state.hosts[more % size]!.id;
        const changed = ids.includes(other) ? ids.filter((id) => id !== other) : [...ids, other];
        expect(hostsGone(once, changed, 'driver-b', T0 + 3).audit).toHaveLength(changed.length > 0 ? once.audit.length + 1 : once.audit.length);
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });
});
