import { describe, expect, it } from 'vitest';
import { approve, pause, promote, resume, rollback } from '../../rollout/engine/commands.ts';
import type { Decision } from '../../rollout/engine/decision.ts';
import { decide } from '../../rollout/engine/engine.ts';
import { indexObservations } from '../../rollout/engine/observations.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { RolloutError, type RolloutState } from '../../rollout/engine/state.ts';
import { apply, applyHostEvents } from '../../rollout/engine/transitions.ts';
import { BASE_VERSION, fleetOf, MINUTE, modelLab, NEW_VERSION, T0, tick, type Behaviour, type ModelLab } from './rollout-harness.ts';

const alice = { actor: 'alice', reason: 'CHG-42' };

/** Six hosts: canary takes two, one at a time, and tolerates one failure; broad takes four and needs approval. */
function smallLab(canary: Partial<RingSpec> = {}, behaviour: Record<string, Behaviour> = {}): ModelLab {
  const rings: RingSpec[] = [
    { name: 'canary', hosts: { count: 2 }, concurrency: { count: 1 }, failureBudget: { count: 1 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: false }, ...canary },
    { name: 'broad', hosts: 'rest', concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 10 * MINUTE, requiresApproval: true, healthGate: { latency: false } },
  ];
  const lab = modelLab({ hosts: fleetOf(6), rings });
  const canaryHosts = lab.state.rings[0]?.hostIds ?? [];
  lab.behaviour = (id) => behaviour[`canary-${canaryHosts.indexOf(id)}`] ?? behaviour[id] ?? 'good';
  return lab;
}

function step(lab: ModelLab, minutes = 5): Decision {
  return tick(lab, STANDARD_POLICY, minutes * MINUTE);
}

function stepUntil(lab: ModelLab, action: Decision['action'], limit = 50): Decision {
  for (let i = 0; i < limit; i++) {
    const decision = step(lab);
    if (decision.action === action) return decision;
  }
  throw new Error(`no ${action} in ${limit} ticks; last: ${JSON.stringify(lab.decisions.at(-1))}`);
}

function decideNow(lab: ModelLab): Decision {
  return decide(lab.state, lab.observations, lab.now, STANDARD_POLICY);
}

describe('decide and apply', () => {
  it('never starts more hosts than the concurrency leaves room for', () => {
    const lab = smallLab();
    const first = decideNow(lab);
    expect(first).toMatchObject({ action: 'patch-hosts', ring: 0, hosts: [lab.state.rings[0]?.hostIds[0]] });
    lab.state = apply(lab.state, first, lab.now);
    expect(decideNow(lab)).toMatchObject({
      action: 'hold',
      reasons: ['ring canary: 1 host patching, as many as its concurrency of 1 allows'],
      figures: { concurrency: 1, patching: 1, pending: 1 },
    });
  });

  it('takes observations as a list or already indexed by host', () => {
    const lab = smallLab();
    stepUntil(lab, 'hold');
    expect(decide(lab.state, indexObservations(lab.observations), lab.now, STANDARD_POLICY)).toEqual(decideNow(lab));
  });

  it('applies a decision once however often it is applied', () => {
    const lab = smallLab();
    const decision = decideNow(lab);
    const once = apply(lab.state, decision, lab.now);
    expect(apply(once, decision, lab.now + MINUTE)).toBe(once);
    expect(once.audit).toHaveLength(1);
  });

  it('soaks a fully patched ring, then waits for approval of the next', () => {
    const lab = smallLab();
    const promoted = stepUntil(lab, 'promote');
    expect(promoted.reasons).toEqual(['ring canary soaked 10 min with 2 of 2 hosts passing', 'ring canary is not judged on latency', 'promoting to ring broad']);
    const waiting = step(lab);
    expect(waiting).toMatchObject({ action: 'await-approval', ring: 1 });
    expect(lab.state.phase).toBe('awaiting-approval');
    expect(apply(lab.state, waiting, lab.now)).toBe(lab.state);

    lab.state = approve(lab.state, { ...alice, ring: 'broad' }, lab.now);
    expect(lab.state.phase).toBe('running');
    expect(lab.state.rings[1]?.approval).toEqual({ by: 'alice', at: lab.now, reason: 'CHG-42' });
    expect(step(lab)).toMatchObject({ action: 'patch-hosts', ring: 1 });
  });

  it('starts an approved ring without waiting', () => {
    const lab = smallLab();
    lab.state = approve(lab.state, { ...alice, ring: 'broad' }, lab.now);
    stepUntil(lab, 'complete');
    expect(lab.decisions.map((d) => d.action)).not.toContain('await-approval');
  });

  it('pauses at once on a failure within the budget; resuming accepts it; the next failure rolls back', () => {
    const lab = smallLab({}, { 'canary-0': 'bad', 'canary-1': 'bad' });
    const [first, second] = lab.state.rings[0]?.hostIds ?? [];
    const paused = stepUntil(lab, 'pause');
    expect(paused).toMatchObject({ action: 'pause', failures: [{ hostId: first, reason: expect.stringContaining('and again on re-check') }] });
    expect(paused.reasons).toEqual([
      expect.stringMatching(new RegExp(`^ring canary: 1 host failed, 1 in all, within its failure budget of 1: ${first} \\(failed`)),
      'promotion stops until a release manager resumes (accepting these failures) or rolls back',
    ]);
    expect(lab.state.phase).toBe('paused');
    expect(lab.state.hosts.find((h) => h.id === first)).toMatchObject({ phase: 'failed', failure: { acceptedBy: null } });
    expect(step(lab).reasons[0]).toMatch(/^paused by engine at .*: ring canary: 1 host failed/);

    lab.state = resume(lab.state, alice, lab.now);
    expect(lab.state.hosts.find((h) => h.id === first)?.failure?.acceptedBy).toBe('alice');
    expect(step(lab)).toMatchObject({ action: 'patch-hosts', hosts: [second] });
    const rolledBack = stepUntil(lab, 'rollback');
    expect(rolledBack.reasons[0]).toMatch(/^ring canary: 2 failed hosts, over its failure budget of 1/);
    expect(rolledBack).toMatchObject({ hosts: [first, second] });
  });

  it('rolls back on a budget breach even while a release manager has paused', () => {
    const lab = smallLab({ concurrency: { count: 2 }, failureBudget: { count: 0 } }, { 'canary-0': 'bad' });
    step(lab);
    lab.state = pause(lab.state, { actor: 'bob', reason: 'looking at the dashboards' }, lab.now);
    const decision = stepUntil(lab, 'rollback');
    expect(decision.reasons[0]).toMatch(/^ring canary: 1 failed host, over its failure budget of 0/);
    expect(lab.state.phase).toBe('rolling-back');
    step(lab);
    expect(lab.state.phase).toBe('rolled-back');
    expect(lab.state.hosts.every((h) => h.version === BASE_VERSION)).toBe(true);
  });

  it('does not count time spent paused as soaking', () => {
    const lab = smallLab();
    stepUntil(lab, 'hold');
    const soakStart = lab.state.rings[0]?.soakStartedAt ?? 0;
    lab.state = pause(lab.state, alice, soakStart + 5 * MINUTE);
    lab.state = resume(lab.state, alice, soakStart + 65 * MINUTE);
    expect(lab.state.rings[0]?.pausedDuringSoakMs).toBe(60 * MINUTE);
    const hold = decide(lab.state, lab.observations, soakStart + 69 * MINUTE, STANDARD_POLICY);
    expect(hold.reasons).toEqual(['ring canary: soaking, 9 min of 10 min (standard policy)']);
  });

  it('rolls back a host whose patch was still in flight when the rollback was ordered', () => {
    const lab = smallLab();
    const started = decideNow(lab);
    lab.state = apply(lab.state, started, lab.now);
    const host = started.action === 'patch-hosts' ? started.hosts[0] ?? '' : '';
    lab.state = rollback(lab.state, alice, lab.now);
    expect(lab.state.hosts.find((h) => h.id === host)?.phase).toBe('rolling-back');

    lab.state = applyHostEvents(lab.state, [{ type: 'patched', hostId: host, version: NEW_VERSION }], lab.now);
    expect(lab.state.hosts.find((h) => h.id === host)).toMatchObject({ phase: 'rolling-back', version: NEW_VERSION });
    expect(decideNow(lab)).toMatchObject({ action: 'rollback', hosts: [host], reasons: ['rolling back: 1 host still to return to their base version'] });

    lab.state = applyHostEvents(lab.state, [{ type: 'rolled-back', hostId: host, version: BASE_VERSION }], lab.now);
    expect(lab.state.phase).toBe('rolled-back');
    expect(lab.state.audit.map((e) => [e.actor, e.action])).toEqual([
      ['engine', 'patch-hosts'],
      ['alice', 'rollback'],
      ['engine', 'rolled-back'],
    ]);
    expect(decideNow(lab)).toMatchObject({ action: 'hold', reasons: ['the rollout was rolled back; nothing left to do'] });
  });

  it('counts a patch that installed the wrong version as failed', () => {
    const lab = smallLab();
    lab.state = apply(lab.state, decideNow(lab), lab.now);
    const host = lab.state.hosts.find((h) => h.phase === 'patching');
    lab.state = applyHostEvents(lab.state, [{ type: 'patched', hostId: host?.id ?? '', version: '3.0.14-1' }], lab.now);
    expect(lab.state.hosts.find((h) => h.id === host?.id)?.failure?.reason).toBe(`installed 3.0.14-1 instead of ${NEW_VERSION}`);
  });

  it('refuses host events the state cannot have produced, and ignores repeated ones', () => {
    const lab = smallLab();
    const pending = lab.state.hosts[0]?.id ?? '';
    expect(() => applyHostEvents(lab.state, [{ type: 'patched', hostId: pending, version: NEW_VERSION }], lab.now)).toThrow(
      new RolloutError(`host ${pending} is pending on ${BASE_VERSION}; it cannot report patched on ${NEW_VERSION}`),
    );
    expect(() => applyHostEvents(lab.state, [{ type: 'patched', hostId: 'db-9', version: NEW_VERSION }], lab.now)).toThrow(/has no host db-9/);

    step(lab);
    step(lab);
    const patched = lab.state.hosts.find((h) => h.phase === 'healthy');
    expect(applyHostEvents(lab.state, [{ type: 'patched', hostId: patched?.id ?? '', version: NEW_VERSION }], lab.now)).toBe(lab.state);
    lab.state = rollback(lab.state, alice, lab.now);
    expect(() => applyHostEvents(lab.state, [{ type: 'rolled-back', hostId: patched?.id ?? '', version: NEW_VERSION }], lab.now)).toThrow(
      /reports a rollback but still runs/,
    );
  });

  it('reports a silent host as failed once the check timeout passes', () => {
    const lab = smallLab({ failureBudget: { count: 0 } });
    lab.state = apply(lab.state, decideNow(lab), lab.now);
    const host = lab.state.hosts.find((h) => h.phase === 'patching')?.id ?? '';
    lab.state = applyHostEvents(lab.state, [{ type: 'patched', hostId: host, version: NEW_VERSION }], lab.now);
    lab.now += 10 * MINUTE;
    expect(decideNow(lab).reasons[0]).toBe(`ring canary: 1 failed host, over its failure budget of 0: ${host} (no check result in 10 min since it was patched)`);
  });
});

describe('the latency gate on the last ring', () => {
  it('completes when the soak ends, not soaking on for baseline samples no host is left to give', () => {
    // Every host patched at once: the baseline gets the one round taken as the ring started.
    const rings: RingSpec[] = [
      { name: 'all', hosts: 'rest', concurrency: { percent: 100 }, failureBudget: { count: 0 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: true } },
    ];
    const lab = modelLab({ hosts: fleetOf(4), rings });
    const completed = stepUntil(lab, 'complete');
    expect(lab.decisions.filter((d) => d.reasons.some((r) => r.includes('soaking on until the latency gate')))).toEqual([]);
    expect(lab.now - lab.state.rings[0]!.soakStartedAt!).toBe(10 * MINUTE);
    expect(completed.reasons).toContain('ring all: no host is left on its old version to give the latency gate baseline samples');
    expect(completed.reasons.some((r) => /^latency of .* not judged: \d+ patched and 4 baseline samples$/.test(r))).toBe(true);
  });

  it('still soaks on in a ring whose baseline can grow, while a later ring waits for the patch', () => {
    const rings: RingSpec[] = [
      { name: 'canary', hosts: { count: 1 }, concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: true } },
      { name: 'broad', hosts: 'rest', concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
    ];
    const lab = modelLab({ hosts: fleetOf(4), rings });
    const promoted = stepUntil(lab, 'promote');
    expect(lab.decisions.some((d) => d.reasons[0] === 'ring canary: soaked 10 min, soaking on until the latency gate has enough samples')).toBe(true);
    expect(promoted.reasons.some((r) => r.includes('no host is left'))).toBe(false);
  });
});

describe('release manager commands', () => {
  it('are idempotent: the second click changes nothing', () => {
    const { state, now } = smallLab();
    const paused = pause(state, alice, now);
    const cases: [RolloutState, (s: RolloutState) => RolloutState][] = [
      [state, (s) => pause(s, alice, now)],
      [paused, (s) => resume(s, alice, now + MINUTE)],
      [state, (s) => approve(s, { ...alice, ring: 'broad' }, now)],
      [state, (s) => rollback(s, alice, now)],
    ];
    for (const [before, command] of cases) {
      const once = command(before);
      expect(once).not.toBe(before);
      expect(command(once)).toBe(once);
    }
  });

  it('record who, when and why in the audit log', () => {
    const lab = smallLab();
    lab.state = pause(lab.state, { actor: 'bob', reason: 'freeze for the sale' }, T0 + MINUTE);
    expect(lab.state.audit.at(-1)).toEqual({ at: T0 + MINUTE, actor: 'bob', action: 'pause', ring: 0, reasons: ['freeze for the sale'], figures: {}, hosts: [] });
    expect(lab.state.paused).toEqual({ by: 'bob', at: T0 + MINUTE, reason: 'freeze for the sale' });
  });

  it('promote moves on without the soak, accepting the failures so far', () => {
    const lab = smallLab({}, { 'canary-0': 'bad' });
    stepUntil(lab, 'pause');
    expect(() => promote(lab.state, { ...alice, ring: 'broad' }, lab.now)).toThrow('ring canary still has 1 hosts to patch');
    lab.state = resume(lab.state, alice, lab.now);
    step(lab);
    step(lab);
    lab.state = promote(lab.state, { actor: 'carol', reason: 'known issue, fixed by CHG-43', ring: 'broad' }, lab.now);
    expect(lab.state).toMatchObject({ ring: 1, phase: 'running' });
    expect(promote(lab.state, { ...alice, ring: 'broad' }, lab.now)).toBe(lab.state);
    expect(promote(lab.state, { ...alice, ring: 'canary' }, lab.now)).toBe(lab.state);
    expect(step(lab)).toMatchObject({ action: 'await-approval', ring: 1 });
  });

  it('refuse what the state does not allow, saying why', () => {
    const lab = smallLab();
    expect(() => approve(lab.state, { ...alice, ring: 'canary' }, lab.now)).toThrow('ring canary does not need approval');
    expect(() => approve(lab.state, { ...alice, ring: 'pilot' }, lab.now)).toThrow('rollout rollout-1 has no ring pilot; its rings are canary, broad');
    expect(() => resume(lab.state, alice, lab.now)).not.toThrow();
    expect(() => pause(lab.state, { actor: 'engine', reason: 'x' }, lab.now)).toThrow(/name of the person/);
    expect(() => pause(lab.state, { actor: 'alice', reason: ' ' }, lab.now)).toThrow(/needs a reason/);
    const rolledBack = rollback(lab.state, alice, lab.now);
    expect(rolledBack.phase).toBe('rolled-back');
    expect(() => pause(rolledBack, alice, lab.now)).toThrow('cannot pause a rollout that is rolled-back');
    expect(() => resume(rolledBack, alice, lab.now)).toThrow('cannot resume a rollout that is rolled-back');
    expect(() => approve(rolledBack, { ...alice, ring: 'broad' }, lab.now)).toThrow('cannot approve a ring of a rollout that is rolled-back');
  });

  it('promote goes one ring at a time', () => {
    const rings: RingSpec[] = ['a', 'b', 'c'].map((name) => ({
      name,
      hosts: name === 'c' ? 'rest' : { count: 1 },
      concurrency: { count: 1 },
      failureBudget: { count: 0 },
      soakMs: 0,
      requiresApproval: false,
      healthGate: { latency: false },
    }));
    const lab = modelLab({ hosts: fleetOf(3), rings });
    expect(() => promote(lab.state, { ...alice, ring: 'c' }, lab.now)).toThrow('promote one ring at a time: the rollout is in ring a');
  });
});
