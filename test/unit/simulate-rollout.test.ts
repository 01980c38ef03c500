import { describe, expect, it } from 'vitest';
import { policyFor } from '../../rollout/engine/policy.ts';
import { badPackage, HOUR, MINUTE, ring, simulate, type World } from './simulate-harness.ts';

const threeRings = [ring('canary', { count: 5 }), ring('pilot', { percent: 20 }, { failureBudget: { count: 1 } }), ring('broad', 'rest', { concurrency: { percent: 25 }, failureBudget: { percent: 5 } })];

describe('simulated rollout', () => {
  it('brings a good patch to every host, ring after ring, and says when 95 % had it', () => {
    const result = simulate({ hosts: 200, rings: threeRings });
    expect(result.outcome).toBe('completed');
    expect(result.finalPatched).toBe(200);
    expect(result.peakPatched).toBe(200);
    expect(result.timeline.map((e) => `${e.action} ${e.ring}`)).toEqual(['promote canary', 'promote pilot', 'complete broad']);
    expect(result.timeline[0]?.reasons[0]).toMatch(/^ring canary soaked 1 h with 5 of 5 hosts passing/);
    // Three soaks of an hour, and the broad ring's hosts patched after the second.
    expect(result.timeTo95Ms).toBeGreaterThan(2 * HOUR);
    expect(result.timeTo95Ms).toBeLessThan(result.durationMs);
    expect(result.durationMs).toBeGreaterThanOrEqual(3 * HOUR);
    expect(result).toMatchObject({ rollback: null, falseRollback: false, blastRadius: 0, harmedHosts: 0, pauses: 0 });
    expect(result.series.patched.at(-1)).toBe(200);
  });

  it('rolls back a patch that breaks every host in the canary, reaching no host beyond it', () => {
    const result = simulate({ hosts: 200, rings: threeRings, faults: [badPackage({})] });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollback?.ring).toBe('canary');
    expect(result.rollback?.reasons[0]).toMatch(/^ring canary: \d failed hosts?, over its failure budget of 0: web-\d+ \(failed simulated:healthz, and again on re-check\)/);
    expect(result.blastRadius).toBeLessThanOrEqual(5);
    expect(result.blastRadius).toBeGreaterThan(0);
    expect(result.startedBeforeRollback).toBe(5);
    expect(result.finalPatched).toBe(0);
    expect(result.timeTo95Ms).toBeNull();
    expect(result.falseRollback).toBe(false);
    expect(result.harmedHosts).toBe(200);
    expect(result.harmedHostHours).toBeGreaterThan(0);
  });

  it('counts a rollback of a patch that harms no host as a false rollback: an offline canary host is enough', () => {
    const rings = [ring('canary', { count: 10 }), ring('broad', 'rest')];
    const result = simulate({ hosts: 100, rings, faults: [{ kind: 'offline', hosts: { ring: 'canary', fraction: 0.1 } }] });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollback?.ring).toBe('canary');
    expect(result.rollback?.reasons[0]).toMatch(/patch failed: the host did not answer/);
    expect(result.falseRollback).toBe(true);
    expect(result.blastRadius).toBe(0);
    expect(result.harmedHostHours).toBe(0);
  });

  it('pauses for a failure within the budget, and goes on once the release manager resumes', () => {
    const rings = [ring('canary', { count: 20 }, { failureBudget: { count: 2 } }), ring('broad', 'rest')];
    // Failing twice in a row is a failure: two canary hosts do it, within the budget of 2.
    const result = simulate({ hosts: 40, rings, faults: [{ kind: 'flaky', hosts: { ring: 'canary', fraction: 0.1 }, failures: 2 }] });
    expect(result.outcome).toBe('completed');
    expect(result.pauses).toBeGreaterThanOrEqual(1);
    const pause = result.timeline.find((e) => e.action === 'pause');
    const resume = result.timeline.find((e) => e.action === 'resume');
    expect(pause?.reasons[0]).toMatch(/within its failure budget of 2/);
    expect(resume?.actor).toBe('simulated release manager');
    expect((resume?.atMs ?? 0) - (pause?.atMs ?? 0)).toBe(30 * MINUTE);
    expect(result.timeline.find((e) => e.action === 'promote')?.reasons[0]).toMatch(/and 2 accepted failures/);

    // Three such hosts are over the budget.
    const over = simulate({ hosts: 40, rings, faults: [{ kind: 'flaky', hosts: { ring: 'canary', fraction: 0.15 }, failures: 2 }] });
    expect(over.outcome).toBe('rolled-back');
    expect(over.falseRollback).toBe(true);
  });

  it('rolls back on a pause when the release manager is set to', () => {
    const rings = [ring('canary', { count: 20 }, { failureBudget: { count: 2 } }), ring('broad', 'rest')];
    const result = simulate({
      hosts: 40,
      rings,
      faults: [badPackage({ ring: 'canary', fraction: 0.05 })],
      settings: { releaseManager: { approveAfterMs: 0, respondAfterMs: 10 * MINUTE, onPause: 'rollback' } },
    });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollback?.actor).toBe('simulated release manager');
  });

  it('waits for a ring that needs approval until the release manager gives it', () => {
    const rings = [ring('canary', { count: 5 }, { soakMs: 0 }), ring('broad', 'rest', { requiresApproval: true, soakMs: 0 })];
    const result = simulate({ hosts: 20, rings, settings: { releaseManager: { approveAfterMs: 2 * HOUR, respondAfterMs: 0, onPause: 'resume' } } });
    expect(result.outcome).toBe('completed');
    const wait = result.timeline.find((e) => e.action === 'await-approval');
    const approval = result.timeline.find((e) => e.action === 'approve');
    expect(approval?.atMs).toBe((wait?.atMs ?? 0) + 2 * HOUR);
    expect(result.durationMs).toBeGreaterThan(2 * HOUR);
  });

  it('lets a slow report look like a silent host: the engine calls it failed before its check arrives', () => {
    const rings = [ring('canary', { count: 10 }), ring('broad', 'rest')];
    const slow = simulate({ hosts: 50, rings, faults: [{ kind: 'slow-report', hosts: {}, delayMs: 20 * MINUTE }] });
    expect(slow.outcome).toBe('rolled-back');
    expect(slow.rollback?.reasons[0]).toMatch(/no check result in 10 min since it was patched/);
    expect(slow.falseRollback).toBe(true);
    const late = simulate({ hosts: 50, rings, faults: [{ kind: 'slow-report', hosts: {}, delayMs: 5 * MINUTE }] });
    expect(late.outcome).toBe('completed');
  });

  it('rolls back when check noise makes a host flap more often than the policy tolerates, more often the longer the soak', () => {
    const noise = [{ kind: 'check-noise' as const, hosts: {}, flipProbability: 0.01 }];
    const rolledBack = (soakMs: number) =>
      [1, 2, 3, 4, 5, 6, 7, 8].filter((seed) => simulate({ hosts: 40, seed, rings: [ring('canary', { count: 10 }, { soakMs }), ring('broad', 'rest', { soakMs })], faults: noise }).outcome === 'rolled-back').length;
    const short = rolledBack(10 * MINUTE);
    const long = rolledBack(24 * HOUR);
    expect(long).toBeGreaterThan(short);
    expect(long).toBe(8);
    const result = simulate({ hosts: 40, rings: [ring('canary', { count: 10 }, { soakMs: 24 * HOUR }), ring('broad', 'rest')], faults: noise });
    expect(result.rollback?.reasons[0]).toMatch(/flapped 3 times, more than the 2 tolerated/);
    expect(result.falseRollback).toBe(true);
  });

  it('catches a latency regression with the latency gate, on samples from patched and unpatched hosts', () => {
    const rings = [ring('canary', { count: 10 }, { healthGate: { latency: true } }), ring('broad', 'rest')];
    const slower = simulate({ hosts: 100, rings, faults: [{ kind: 'latency', hosts: {}, addMs: 30 }] });
    expect(slower.outcome).toBe('rolled-back');
    expect(slower.rollback?.reasons[0]).toMatch(/^ring canary: check simulated:healthz is slower on patched hosts, median 1\d\d(\.\d)? ms against \d+(\.\d)? ms .*Mann-Whitney U, \d+ patched and \d+ baseline samples/);
    expect(slower.blastRadius).toBe(10);
    // 3 % slower is significant with this many samples, but below the 10 % that matters.
    const barely = simulate({ hosts: 100, rings, faults: [{ kind: 'latency', hosts: {}, addMs: 3 }] });
    expect(barely.outcome).toBe('completed');
    expect(barely.timeline[0]?.reasons.join(' ')).toMatch(/latency of simulated:healthz: median/);
  });

  it('soaks for a quarter of the time under the critical-security policy', () => {
    const standard = simulate({ hosts: 50, rings: threeRings, policy: policyFor('high') });
    const critical = simulate({ hosts: 50, rings: threeRings, policy: policyFor('critical') });
    expect(standard.outcome).toBe('completed');
    expect(critical.outcome).toBe('completed');
    expect(standard.durationMs - critical.durationMs).toBeGreaterThan(2 * HOUR);
    expect(critical.rings.map((r) => r.soakMs)).toEqual([15 * MINUTE, 15 * MINUTE, 15 * MINUTE]);
  });

  it('stops a plan that needs more engine decisions than allowed before starting it', () => {
    const result = simulate({ hosts: 300, rings: [ring('canary', { count: 1 }), ring('broad', 'rest', { concurrency: { count: 1 } })], settings: { maxSteps: 100 } });
    expect(result.outcome).toBe('stopped');
    expect(result.stopReason).toBe(
      'not simulated: the plan needs at least 300 engine decisions (ring broad: 299 hosts, 1 at a time), over the limit of 100; ' +
        'at a median patch time of 2 min, that is about 10 h of patching one wave after another',
    );
    expect(result.work.engineSteps).toBe(0);
  });
});
