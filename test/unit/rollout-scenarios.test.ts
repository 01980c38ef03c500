import { describe, expect, it } from 'vitest';
import { DEFAULT_RINGS } from '../../rollout/engine/plan.ts';
import { policyFor, STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { actions, fleetOf, modelLab, NEW_VERSION, runToEnd, T0, type Behaviour, type ModelLab } from './rollout-harness.ts';

/** The scenarios, against the pure engine: a hundred hosts, the default rings, checks every five minutes. */

function onNewVersion(lab: ModelLab): string[] {
  return [...lab.versions].filter(([, version]) => version === NEW_VERSION).map(([id]) => id);
}

function everyHost(behaviour: Behaviour): Record<string, Behaviour> {
  return Object.fromEntries(fleetOf(100).map((h) => [h.id, behaviour]));
}

describe('rollout scenarios', () => {
  it('a good security patch reaches broad, faster under the critical policy', () => {
    const critical = runToEnd(modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS, severity: 'critical' }), policyFor('critical'), { approver: 'alice' });
    const standard = runToEnd(modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS, severity: 'low' }), policyFor('low'), { approver: 'alice' });

    expect(critical.state.phase).toBe('completed');
    expect(critical.state.ring).toBe(2);
    expect(onNewVersion(critical)).toHaveLength(100);
    expect(critical.state.hosts.every((h) => h.phase === 'healthy' && h.version === NEW_VERSION)).toBe(true);
    expect(critical.state.audit.filter((e) => e.action === 'promote').map((e) => e.reasons.at(-1))).toEqual(['promoting to ring pilot', 'promoting to ring broad']);
    expect(critical.state.audit.find((e) => e.action === 'approve')).toMatchObject({ actor: 'alice', ring: 1 });
    expect(critical.state.audit.at(-1)).toMatchObject({ actor: 'engine', action: 'complete' });

    expect(standard.state.phase).toBe('completed');
    expect(critical.now - T0).toBeLessThan((standard.now - T0) / 2);
  });

  it('a bad patch is caught in canary and rolled back', () => {
    const lab = runToEnd(modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS, behaviour: everyHost('bad') }), STANDARD_POLICY, { approver: 'alice' });
    const canary = lab.state.rings[0]?.hostIds ?? [];

    expect(lab.state.phase).toBe('rolled-back');
    expect(actions(lab)).not.toContain('promote');
    expect(lab.state.hosts.filter((h) => h.patchStartedAt !== null).map((h) => h.id)).toEqual(canary);
    const rollback = lab.decisions.find((d) => d.action === 'rollback');
    expect(rollback?.reasons[0]).toMatch(/^ring canary: 1 failed host, over its failure budget of 0: web-\d+ \(failed http:.*, and again on re-check\)$/);
    expect(rollback?.figures).toMatchObject({ 'canary.failed': 1, 'canary.budget': 0, rollingBack: 1 });
    expect(onNewVersion(lab)).toEqual([]);
    expect(lab.state.hosts.some((h) => h.version === NEW_VERSION)).toBe(false);
  });

  it('a latency regression slips past a canary too small to judge and is caught by the statistical gate in pilot', () => {
    const lab = runToEnd(modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS, behaviour: everyHost('slow') }), STANDARD_POLICY, { approver: 'alice' });

    // The canary's single host gives too few samples: it soaks on, up to three soaks, then goes on unjudged.
    expect(lab.decisions.some((d) => d.action === 'hold' && /^ring canary: soaked .*, soaking on until the latency gate has enough samples$/.test(d.reasons[0] ?? ''))).toBe(true);
    const promote = lab.decisions.find((d) => d.action === 'promote');
    expect(promote?.reasons[0]).toMatch(/^ring canary soaked 1 h 30 min /);
    expect(promote?.reasons).toContainEqual(expect.stringMatching(/^latency of http:\S+ not judged: 1\d patched and \d+ baseline samples$/));
    const rollback = lab.decisions.find((d) => d.action === 'rollback');
    expect(rollback?.ring).toBe(1);
    expect(rollback?.reasons[0]).toMatch(/^ring pilot: check http:\S+ is slower on patched hosts, median 1\d\d(\.\d)? ms against 1\d\d(\.\d)? ms \(\+\d+ %\), p = .* < 0\.010 \(Mann-Whitney U, \d+ patched and \d+ baseline samples\)$/);
    expect(Number(rollback?.figures['pilot.latency.http:http://localhost/healthz.p'])).toBeLessThan(0.01);
    expect(rollback?.action === 'rollback' && rollback.hosts).toHaveLength(11);
    expect(lab.state.phase).toBe('rolled-back');
    expect(lab.state.hosts.filter((h) => h.ring === 2).every((h) => h.patchStartedAt === null)).toBe(true);
    expect(onNewVersion(lab)).toEqual([]);
  });

  it('a flaky canary host does not roll back the fleet, though the canary tolerates no failure', () => {
    const lab = modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS });
    const canaryHost = lab.state.rings[0]?.hostIds[0];
    lab.behaviour = (id) => (id === canaryHost ? 'flaky' : 'good');
    runToEnd(lab, STANDARD_POLICY, { approver: 'alice' });

    expect(actions(lab)).toContain('hold');
    expect(lab.decisions.find((d) => d.reasons[0]?.startsWith('waiting for the re-check'))?.reasons[0]).toContain(canaryHost);
    expect(lab.decisions.find((d) => d.action === 'promote')?.reasons[0]).toBe(`ring canary soaked 1 h 30 min with 1 of 1 host passing (flaky, cleared on re-check: ${canaryHost})`);
    expect(lab.state.phase).toBe('completed');
    expect(onNewVersion(lab)).toHaveLength(100);
  });

  it('a host that keeps flapping counts as failed after all', () => {
    const lab = modelLab({ hosts: fleetOf(100), rings: DEFAULT_RINGS });
    const canaryHost = lab.state.rings[0]?.hostIds[0];
    lab.behaviour = (id) => (id === canaryHost ? 'flapping' : 'good');
    runToEnd(lab, STANDARD_POLICY, { approver: 'alice' });

    expect(lab.decisions.find((d) => d.action === 'rollback')?.reasons[0]).toContain('flapped 3 times, more than the 2 tolerated');
    expect(lab.state.phase).toBe('rolled-back');
  });
});
