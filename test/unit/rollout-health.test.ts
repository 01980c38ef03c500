import { describe, expect, it } from 'vitest';
import { judgeHost } from '../../rollout/engine/host-verdict.ts';
import { ringHealth } from '../../rollout/engine/health.ts';
import { compareLatency } from '../../rollout/engine/latency-gate.ts';
import { indexObservations, type CheckStatus, type Observation } from '../../rollout/engine/observations.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import type { HostState } from '../../rollout/engine/state.ts';
import { BASE_VERSION, CHECK, MINUTE, NEW_VERSION, T0, fleetOf, modelLab, mulberry32 } from './rollout-harness.ts';
import { apply, applyHostEvents } from '../../rollout/engine/transitions.ts';

const patchedHost: HostState = {
  id: 'web-1',
  ring: 0,
  phase: 'healthy',
  baseVersion: BASE_VERSION,
  version: NEW_VERSION,
  patchStartedAt: T0 - MINUTE,
  patchedAt: T0,
  failure: null,
};

function run(minutes: number, status: CheckStatus, version = NEW_VERSION): Observation {
  return { hostId: 'web-1', at: T0 + minutes * MINUTE, version, checks: [{ id: CHECK, status }] };
}

function verdict(history: Observation[], atMinute: number) {
  return judgeHost(patchedHost, history, NEW_VERSION, T0 + atMinute * MINUTE, STANDARD_POLICY);
}

describe('judgeHost', () => {
  it('waits for a first check result, then counts silence as a failure', () => {
    expect(verdict([], 5)).toEqual({ kind: 'unobserved', since: T0 });
    expect(verdict([], 10)).toEqual({ kind: 'failed', reason: 'no check result in 10 min since it was patched' });
  });

  it('ignores results from before the patch and from the old version', () => {
    expect(verdict([run(-5, 'fail'), run(1, 'fail', BASE_VERSION), run(2, 'pass')], 3)).toEqual({ kind: 'passing' });
  });

  it('holds a failure as a suspicion until its re-check', () => {
    expect(verdict([run(1, 'pass'), run(2, 'fail')], 5)).toEqual({ kind: 'suspect', since: T0 + 2 * MINUTE, reason: `failed ${CHECK}` });
  });

  it('forgives a failure that passes on re-check: a flaky host', () => {
    expect(verdict([run(1, 'fail'), run(3, 'pass'), run(5, 'pass')], 6)).toEqual({ kind: 'flaky', flaps: 1 });
  });

  it('confirms a failure that fails again on re-check', () => {
    expect(verdict([run(1, 'fail'), run(3, 'fail'), run(5, 'pass')], 6)).toEqual({ kind: 'failed', reason: `failed ${CHECK}, and again on re-check` });
  });

  it('confirms a failure whose re-check does not come in time', () => {
    const reason = `failed ${CHECK} and was not re-checked within 10 min`;
    expect(verdict([run(1, 'fail')], 11)).toEqual({ kind: 'failed', reason });
    expect(verdict([run(1, 'fail'), run(12, 'pass')], 13)).toEqual({ kind: 'failed', reason });
  });

  it('fails a host that flaps more often than the policy tolerates', () => {
    const flapping = [1, 2, 3, 4, 5, 6].map((m) => run(m, m % 2 === 1 ? 'fail' : 'pass'));
    expect(verdict(flapping, 7)).toEqual({ kind: 'failed', reason: 'flapped 3 times, more than the 2 tolerated' });
    expect(verdict(flapping.slice(0, 4), 7)).toEqual({ kind: 'flaky', flaps: 2 });
  });

  it('counts a check that errors as failed and a run of skipped checks as no result', () => {
    expect(verdict([run(1, 'error'), run(2, 'skip'), run(3, 'error')], 4).kind).toBe('failed');
    expect(verdict([run(1, 'skip')], 4)).toEqual({ kind: 'unobserved', since: T0 });
  });

  it('keeps a failure already in the state', () => {
    const host = { ...patchedHost, phase: 'failed' as const, failure: { reason: 'patch failed: dpkg', at: T0, acceptedBy: null } };
    expect(judgeHost(host, [run(1, 'pass')], NEW_VERSION, T0 + 2 * MINUTE, STANDARD_POLICY)).toEqual({ kind: 'failed', reason: 'patch failed: dpkg' });
  });
});

describe('ringHealth', () => {
  it('counts failures against the ring budget, flaky hosts as passing', () => {
    const rings = [
      { name: 'pilot', hosts: 'rest' as const, concurrency: { count: 4 }, failureBudget: { count: 1 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } },
    ];
    const lab = modelLab({ hosts: fleetOf(4), rings });
    lab.state = apply(lab.state, { action: 'patch-hosts', ring: 0, hosts: ['web-001', 'web-002', 'web-003', 'web-004'], reasons: ['test'], figures: {} }, T0);
    lab.state = applyHostEvents(
      lab.state,
      [
        { type: 'patched', hostId: 'web-001', version: NEW_VERSION },
        { type: 'patched', hostId: 'web-002', version: NEW_VERSION },
        { type: 'patch-failed', hostId: 'web-003', version: BASE_VERSION, reason: 'dpkg: error' },
      ],
      T0,
    );
    const observations: Observation[] = [
      { hostId: 'web-001', at: T0 + MINUTE, version: NEW_VERSION, checks: [{ id: CHECK, status: 'fail' }] },
      { hostId: 'web-001', at: T0 + 2 * MINUTE, version: NEW_VERSION, checks: [{ id: CHECK, status: 'pass' }] },
      { hostId: 'web-002', at: T0 + MINUTE, version: NEW_VERSION, checks: [{ id: CHECK, status: 'pass' }] },
    ];
    const health = ringHealth(lab.state, 0, indexObservations(observations), T0 + 3 * MINUTE, STANDARD_POLICY);
    expect(health).toMatchObject({ size: 4, patched: 3, passing: 2, flaky: ['web-001'], unobserved: [], suspect: [], budget: 1, breached: false });
    expect(health.failed).toEqual([{ hostId: 'web-003', reason: 'patch failed: dpkg: error', accepted: false }]);
    expect(health.passRate).toBeCloseTo(2 / 3);
  });
});

describe('compareLatency', () => {
  const random = mulberry32(7);
  const samples = (n: number, centre: number) => Array.from({ length: n }, () => centre + 20 * random());
  const gate = { alpha: 0.01, minEffectRatio: 0.1, minSamples: 20 };

  it('finds a slower patched check', () => {
    const verdict = compareLatency(new Map([[CHECK, samples(40, 150)]]), new Map([[CHECK, samples(200, 100)]]), gate);
    expect(verdict.regressed).toBe(true);
    expect(verdict.compared[0]).toMatchObject({ check: CHECK, patchedSamples: 40, baselineSamples: 200, regressed: true });
    expect(verdict.compared[0]?.p).toBeLessThan(1e-6);
  });

  it('lets a significant but tiny shift through', () => {
    const verdict = compareLatency(new Map([[CHECK, samples(2000, 103)]]), new Map([[CHECK, samples(2000, 100)]]), gate);
    expect(verdict.compared[0]?.p).toBeLessThan(0.01);
    expect(verdict.regressed).toBe(false);
  });

  it('does not judge a check with too few samples on either side', () => {
    const verdict = compareLatency(new Map([[CHECK, samples(5, 500)]]), new Map([[CHECK, samples(200, 100)]]), gate);
    expect(verdict).toEqual({ alphaPerCheck: 0.01, compared: [], tooFewSamples: [{ check: CHECK, patchedSamples: 5, baselineSamples: 200 }], regressed: false });
  });

  it('shares alpha among the checks compared', () => {
    const patched = new Map([['a', samples(30, 100)], ['b', samples(30, 100)]]);
    const baseline = new Map([['a', samples(30, 100)], ['b', samples(30, 100)]]);
    expect(compareLatency(patched, baseline, gate).alphaPerCheck).toBe(0.005);
  });
});
