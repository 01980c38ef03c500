import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNSTORED_GRACE_MS, judgeUnstoredFleet, unstoredGraceFrom, type UnstoredFleetFacts } from '../../rollout/worker/unstored-fleets.ts';

const T = 1_800_000_000_000;
const facts = fc.record({
  rolloutId: fc.constant('rollout-x'),
  hosts: fc.uniqueArray(fc.record({ hostId: fc.stringMatching(/^web-\d{2}$/), createdAt: fc.integer({ min: T - 3_600_000, max: T }) }), { selector: (h) => h.hostId, maxLength: 6 }),
  stored: fc.boolean(),
  leased: fc.boolean(),
  startPending: fc.boolean(),
  startedAt: fc.option(fc.integer({ min: T - 3_600_000, max: T }), { nil: null }),
}) as fc.Arbitrary<UnstoredFleetFacts>;
const grace = fc.integer({ min: 1_000, max: 1_800_000 });
const later = fc.integer({ min: 0, max: 7_200_000 });

describe('which fleets of unstored rollouts a worker removes', () => {
  it('never a stored rollout, one a driver holds, one whose start is not done, nor within the grace of its latest start or host', () => {
    fc.assert(
      fc.property(facts, grace, later, (f, g, dt) => {
        const verdict = judgeUnstoredFleet(f, T + dt, g);
        if (!verdict.reap) return;
        expect(f.stored || f.leased || f.startPending).toBe(false);
        const latest = Math.max(f.startedAt ?? 0, ...f.hosts.map((h) => h.createdAt));
        expect(T + dt - latest).toBeGreaterThanOrEqual(g);
        // Every host it found goes, and none it did not find.
        expect(verdict.hosts).toEqual(f.hosts.map((h) => h.hostId).sort());
        expect(verdict.since).toBe(latest);
      }),
    );
  });

  it('removes every such fleet once the grace has passed, and keeps it until then', () => {
    fc.assert(
      fc.property(facts, grace, (f, g) => {
        const unclaimed = { ...f, stored: false, leased: false, startPending: false };
        fc.pre(unclaimed.hosts.length > 0);
        const latest = Math.max(f.startedAt ?? 0, ...f.hosts.map((h) => h.createdAt));
        expect(judgeUnstoredFleet(unclaimed, latest + g - 1, g).reap).toBe(false);
        expect(judgeUnstoredFleet(unclaimed, latest + g, g).reap).toBe(true);
      }),
    );
  });

  it('reads its grace from PATCHLAB_UNSTORED_FLEET_GRACE as a duration, naming the variable when it is unusable', () => {
    expect(unstoredGraceFrom({})).toBe(DEFAULT_UNSTORED_GRACE_MS);
    expect(unstoredGraceFrom({ PATCHLAB_UNSTORED_FLEET_GRACE: '90s' })).toBe(90_000);
    expect(() => unstoredGraceFrom({ PATCHLAB_UNSTORED_FLEET_GRACE: '300' })).toThrow(/PATCHLAB_UNSTORED_FLEET_GRACE: expected a duration such as 30s.*got "300"/);
    expect(() => unstoredGraceFrom({ PATCHLAB_UNSTORED_FLEET_GRACE: '0s' })).toThrow(/PATCHLAB_UNSTORED_FLEET_GRACE/);
  });
});
