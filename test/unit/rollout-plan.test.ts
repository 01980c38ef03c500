import { describe, expect, it } from 'vitest';
import { assignRings, DEFAULT_RINGS, PlanError, resolveConcurrency, resolveFailureBudget, type RingSpec } from '../../rollout/engine/plan.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { BASE_VERSION, fleetOf, NEW_VERSION, T0 } from './rollout-harness.ts';

function ring(name: string, hosts: RingSpec['hosts']): RingSpec {
  return { name, hosts, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } };
}

describe('assignRings', () => {
  it('takes counts and percentages of the whole fleet, and the rest last', () => {
    const membership = assignRings(fleetOf(200), [ring('canary', { count: 2 }), ring('pilot', { percent: 10 }), ring('broad', 'rest')]);
    expect(membership.map((ids) => ids.length)).toEqual([2, 20, 178]);
    expect(new Set(membership.flat()).size).toBe(200);
  });

  it('rounds a percentage up, so a small fleet still gets a canary', () => {
    expect(assignRings(fleetOf(5), DEFAULT_RINGS).map((ids) => ids.length)).toEqual([1, 1, 3]);
  });

  it('selects by labels among the hosts earlier rings left', () => {
    const hosts = fleetOf(6, (i) => ({ site: i < 3 ? 'lab' : 'prod', tier: i % 2 === 0 ? 'web' : 'db' }));
    const [canary, labRing, rest] = assignRings(hosts, [ring('canary', { labels: { site: 'lab', tier: 'web' } }), ring('lab', { labels: { site: 'lab' } }), ring('prod', 'rest')]);
    expect(canary).toEqual(expect.arrayContaining(['web-001', 'web-003']));
    expect(canary).toHaveLength(2);
    expect(labRing).toEqual(['web-002']);
    expect(rest?.sort()).toEqual(['web-004', 'web-005', 'web-006']);
  });

  it('draws the same hosts for the same seed, and a spread of the fleet rather than its head', () => {
    const rings = [ring('canary', { count: 5 }), ring('rest', 'rest')];
    const once = assignRings(fleetOf(100), rings, 'rollout-7');
    expect(assignRings([...fleetOf(100)].reverse(), rings, 'rollout-7')).toEqual(once);
    expect(once[0]).not.toEqual(['web-001', 'web-002', 'web-003', 'web-004', 'web-005']);
    expect(assignRings(fleetOf(100), rings, 'rollout-8')[0]).not.toEqual(once[0]);
  });

  it('lists every problem with the plan at once', () => {
    const hosts = [...fleetOf(3), { id: 'web-001', labels: {}, version: BASE_VERSION }];
    const error = (() => {
      try {
        assignRings(hosts, [ring('canary', 'rest'), ring('canary', { labels: { site: 'mars' } })]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).problems).toEqual([
      'host web-001 is listed twice',
      'ring canary is listed twice',
      'ring canary takes the rest of the fleet, so it must be the last ring',
      'ring canary selects no hosts',
    ]);
  });

  it('refuses to leave hosts out of every ring', () => {
    expect(() => assignRings(fleetOf(10), [ring('canary', { count: 2 })])).toThrow(/8 hosts are in no ring/);
  });
});

describe('resolving amounts', () => {
  it('gives a concurrency of at least one host and at most the ring', () => {
    expect(resolveConcurrency({ percent: 10 }, 5)).toBe(1);
    expect(resolveConcurrency({ percent: 25 }, 10)).toBe(3);
    expect(resolveConcurrency({ count: 50 }, 10)).toBe(10);
    expect(resolveConcurrency({ count: 0 }, 10)).toBe(1);
  });

  it('rounds a failure budget down', () => {
    expect(resolveFailureBudget({ percent: 2 }, 10)).toBe(0);
    expect(resolveFailureBudget({ percent: 2 }, 100)).toBe(2);
    expect(resolveFailureBudget({ count: 3 }, 10)).toBe(3);
  });
});

describe('createRollout', () => {
  it('starts running in the first ring with every host pending on its own version', () => {
    const state = createRollout({
      id: 'r1',
      patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' },
      hosts: fleetOf(20),
      rings: DEFAULT_RINGS,
      now: T0,
    });
    expect(state.phase).toBe('running');
    expect(state.ring).toBe(0);
    expect(state.rings.map((r) => [r.name, r.hostIds.length, r.concurrency, r.failureBudget])).toEqual([
      ['canary', 1, 1, 0],
      ['pilot', 2, 1, 0],
      ['broad', 17, 2, 0],
    ]);
    expect(state.hosts.every((h) => h.phase === 'pending' && h.version === BASE_VERSION && h.baseVersion === BASE_VERSION)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
  });

  it('refuses hosts that already run the new version, which a rollback could not tell apart', () => {
    const hosts = [...fleetOf(3), { id: 'web-9', labels: {}, version: NEW_VERSION }];
    expect(() =>
      createRollout({ id: 'r1', patch: { name: 'openssl', version: NEW_VERSION, severity: 'high' }, hosts, rings: DEFAULT_RINGS, now: T0 }),
    ).toThrow(`host web-9 already runs ${NEW_VERSION}`);
  });
});
