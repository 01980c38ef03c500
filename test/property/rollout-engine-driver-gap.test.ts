import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeOver } from '../../rollout/engine/driver-takeover.ts';
import { decide } from '../../rollout/engine/engine.ts';
import { formatDuration } from '../../rollout/engine/format.ts';
import { judgeHost, PASSING, type HostVerdict } from '../../rollout/engine/host-verdict.ts';
import { failingChecks, type CheckStatus, type Observation } from '../../rollout/engine/observations.ts';
import type { RingSpec } from '../../rollout/engine/plan.ts';
import { STANDARD_POLICY, type RolloutPolicy } from '../../rollout/engine/policy.ts';
import type { HostState } from '../../rollout/engine/state.ts';
import { apply } from '../../rollout/engine/transitions.ts';
import { BASE_VERSION, CHECK, decideOnLogAsFullPass, finishInFlight, fleetOf, labWithLog, MINUTE, modelLab, mulberry32, NEW_VERSION, runChecks, T0, type Behaviour } from '../unit/rollout-harness.ts';

/*
 * A rollout with no driver for a while (its coordinator killed and the next one waiting out the
 * lease, or a rollout resumed the next morning): nobody checked its hosts then, so that time must
 * not count against them. The driver records when it took over; check timeouts run from then.
 */

/** judgeHost as it was before take-overs, kept verbatim to compare with. */
function judgeHostBefore(host: HostState, history: readonly Observation[], target: string, now: number, policy: RolloutPolicy): HostVerdict {
  if (host.failure) return { kind: 'failed', reason: host.failure.reason };
  const since = host.patchedAt ?? now;
  const passed = history.filter((o) => o.version === target && o.at >= since).map(failingChecks).filter((f) => f !== null);
  if (passed.length > 0 && passed.every((f) => f.length === 0)) return PASSING;
  const timeout = policy.checkTimeoutMs;
  const runs = history.flatMap((o) => {
    const failing = o.version === target && o.at >= since ? failingChecks(o) : null;
    return failing ? [{ at: o.at, failing }] : [];
  });
  if (runs.length === 0) {
    return now - since >= timeout ? { kind: 'failed', reason: `no check result in ${formatDuration(timeout)} since it was patched` } : { kind: 'unobserved', since };
  }
  let flaps = 0;
  for (const [i, run] of runs.entries()) {
    if (run.failing.length === 0) continue;
    const what = `failed ${run.failing.join(', ')}`;
    const recheck = runs[i + 1];
    if (!recheck) {
      return now - run.at >= timeout ? { kind: 'failed', reason: `${what} and was not re-checked within ${formatDuration(timeout)}` } : { kind: 'suspect', since: run.at, reason: what };
    }
    if (recheck.at - run.at > timeout) return { kind: 'failed', reason: `${what} and was not re-checked within ${formatDuration(timeout)}` };
    if (recheck.failing.length > 0) return { kind: 'failed', reason: `${what}, and again on re-check` };
    flaps++;
  }
  if (flaps > policy.maxFlaps) return { kind: 'failed', reason: `flapped ${flaps} times, more than the ${policy.maxFlaps} tolerated` };
  return flaps > 0 ? { kind: 'flaky', flaps } : PASSING;
}

const MISSING_RESULT = /no check result|not re-checked/;

const policyArb = fc.record({ timeoutMin: fc.integer({ min: 1, max: 60 }), maxFlaps: fc.integer({ min: 0, max: 3 }) }).map(
  ({ timeoutMin, maxFlaps }): RolloutPolicy => ({ ...STANDARD_POLICY, checkTimeoutMs: timeoutMin * MINUTE, maxFlaps }),
);
const status = fc.constantFrom<CheckStatus>('pass', 'pass', 'pass', 'fail', 'error', 'skip');
const observationArb = fc.record({
  at: fc.integer({ min: -30, max: 600 }).map((m) => T0 + m * MINUTE),
  version: fc.constantFrom(NEW_VERSION, NEW_VERSION, NEW_VERSION, BASE_VERSION),
  checks: fc.array(status, { minLength: 0, maxLength: 3 }),
}).map(({ at, version, checks }): Observation => ({ hostId: 'h1', at, version, checks: checks.map((s, k) => ({ id: `check-${k}`, status: s })) }));
const historyArb = fc.array(observationArb, { maxLength: 12 }).map((list) => [...list].sort((a, b) => a.at - b.at));
const hostArb = fc.record({
  phase: fc.constantFrom<'healthy' | 'failed'>('healthy', 'healthy', 'failed'),
  patchedMin: fc.option(fc.integer({ min: 0, max: 300 }), { freq: 8 }),
  failure: fc.option(fc.constant('patch failed: dpkg'), { freq: 5 }),
}).map(({ phase, patchedMin, failure }): HostState => ({
  id: 'h1',
  ring: 0,
  phase: failure ? 'failed' : phase,
  baseVersion: BASE_VERSION,
  version: NEW_VERSION,
  patchStartedAt: patchedMin === null ? null : T0 + (patchedMin - 1) * MINUTE,
  patchedAt: patchedMin === null ? null : T0 + patchedMin * MINUTE,
  failure: failure ? { reason: failure, at: T0, acceptedBy: null } : null,
}));
const nowArb = fc.integer({ min: 0, max: 900 }).map((m) => T0 + m * MINUTE);

describe('judgeHost with driver take-overs', () => {
  it('judges exactly as before when no driver gap exists, or every take-over came before the patch', () => {
    fc.assert(
      fc.property(hostArb, historyArb, nowArb, policyArb, fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 3 }), (host, history, now, policy, before) => {
        const old = judgeHostBefore(host, history, NEW_VERSION, now, policy);
        assert.deepEqual(judgeHost(host, history, NEW_VERSION, now, policy), old);
        assert.deepEqual(judgeHost(host, history, NEW_VERSION, now, policy, []), old);
        // Take-overs before the patch (and before every run judged) change nothing.
        const patchedAt = host.patchedAt ?? now;
        const early = before.map((m) => patchedAt - m * MINUTE).sort((a, b) => a - b);
        assert.deepEqual(judgeHost(host, history, NEW_VERSION, now, policy, early), old);
      }),
      { seed: 20261207, numRuns: 3000 },
    );
  });

  it('never fails a host healthy when its driver stopped, and checked within the timeout after the take-over, for a missing result', () => {
    const preRun = fc.record({ afterMin: fc.integer({ min: 0, max: 40 }), status });
    fc.assert(
      fc.property(
        policyArb,
        fc.array(preRun, { maxLength: 6 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 600 }),
        fc.array(fc.record({ share: fc.double({ min: 0, max: 0.999, noNaN: true }), status }), { maxLength: 4 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (policy, pre, tailMin, gapMin, post, nowShare) => {
          const timeout = policy.checkTimeoutMs;
          const patchedAt = T0;
          const host: HostState = { id: 'h1', ring: 0, phase: 'healthy', baseVersion: BASE_VERSION, version: NEW_VERSION, patchStartedAt: T0 - MINUTE, patchedAt, failure: null };
          const run = (at: number, s: CheckStatus): Observation => ({ hostId: 'h1', at, version: NEW_VERSION, checks: [{ id: CHECK, status: s }] });
          let at = patchedAt;
          const history = pre.map((r) => run((at += r.afterMin * MINUTE), r.status));
          const stoppedAt = at + tailMin * MINUTE;
          // Healthy as far as the driver that stopped could tell.
          fc.pre(judgeHostBefore(host, history, NEW_VERSION, stoppedAt, policy).kind !== 'failed');
          const tookOverAt = stoppedAt + gapMin * MINUTE;
          // Checked again within the timeout after the take-over, each run within the timeout of the one before.
          let last = tookOverAt;
          for (const [k, r] of post.entries()) history.push(run((last += Math.floor(r.share * timeout)), k === post.length - 1 ? 'pass' : r.status));
          const now = post.length === 0 ? tookOverAt + Math.floor(nowShare * timeout) : last + Math.floor(nowShare * 10 * timeout);
          const verdict = judgeHost(host, history, NEW_VERSION, now, policy, [T0 - 5 * MINUTE, tookOverAt]);
          if (verdict.kind === 'failed') expect(verdict.reason).not.toMatch(MISSING_RESULT);
        },
      ),
      { seed: 20261207, numRuns: 3000 },
    );
  });

  it('still fails a host nobody checked within the timeout after the take-over', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 300 }), (policy, gapMin, lateMin) => {
        const host: HostState = { id: 'h1', ring: 0, phase: 'healthy', baseVersion: BASE_VERSION, version: NEW_VERSION, patchStartedAt: T0, patchedAt: T0, failure: null };
        const tookOverAt = T0 + gapMin * MINUTE;
        const verdict = judgeHost(host, [], NEW_VERSION, tookOverAt + policy.checkTimeoutMs + lateMin * MINUTE, policy, [tookOverAt]);
        expect(verdict.kind).toBe('failed');
        expect((verdict as { reason: string }).reason).toMatch(/no check result in .* since (its driver took over|it was patched)/);
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});

const rings: RingSpec[] = [
  { name: 'canary', hosts: { count: 2 }, concurrency: { count: 2 }, failureBudget: { count: 0 }, soakMs: 20 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
  { name: 'broad', hosts: 'rest', concurrency: { percent: 50 }, failureBudget: { count: 1 }, soakMs: 10 * MINUTE, requiresApproval: false, healthGate: { latency: false } },
];

describe('the engine across driver gaps', () => {
  it('on an observation log judges and decides exactly as a full pass does, take-overs included', () => {
    const behaviour = fc.constantFrom<Behaviour>('good', 'good', 'good', 'bad', 'flaky', 'flapping', 'slow');
    const step = fc.record({ minutes: fc.integer({ min: 0, max: 25 }), finish: fc.integer({ min: 0, max: 4 }), checks: fc.boolean(), gapMin: fc.option(fc.integer({ min: 1, max: 90 }), { freq: 4 }) });
    fc.assert(
      fc.property(fc.array(behaviour, { minLength: 4, maxLength: 12 }), fc.array(step, { minLength: 10, maxLength: 60 }), fc.integer(), (behaviours, steps, seed) => {
        const { lab, log } = labWithLog(behaviours, rings, seed);
        const random = mulberry32(seed);
        let copied = 0;
        for (const s of steps) {
          if (s.gapMin !== null) {
            // No driver: no checks, no decisions, until the next one takes over.
            lab.now += s.gapMin * MINUTE;
            lab.state = takeOver(lab.state, 'host-b:42:1', lab.now);
          }
          lab.now += s.minutes * MINUTE;
          finishInFlight(lab, () => random() < s.finish / 4);
          if (s.checks) runChecks(lab);
          for (; copied < lab.observations.length; copied++) log.append(lab.observations[copied]!);
          if (decideOnLogAsFullPass(lab, log, STANDARD_POLICY)) break;
        }
      }),
      { seed: 20261207, numRuns: 120 },
    );
  });

  it("does not roll back or pause a healthy ring on the new driver's first decision after a gap longer than the check timeout", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 10 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (size, gapTimeouts, checkedBefore, seed) => {
        const hosts = fleetOf(size);
        const lab = modelLab({ hosts, rings, behaviour: Object.fromEntries(hosts.map((h) => [h.id, 'good'])), seed });
        // Drive until the canary ring is patched, its hosts checked `checkedBefore` times, then the driver stops.
        lab.state = apply(lab.state, decide(lab.state, lab.observations, lab.now, STANDARD_POLICY), lab.now);
        lab.now += MINUTE;
        finishInFlight(lab);
        for (let k = 0; k < checkedBefore; k++) {
          lab.now += MINUTE;
          runChecks(lab);
        }
        lab.now += gapTimeouts * STANDARD_POLICY.checkTimeoutMs;
        const stale = decide(lab.state, lab.observations, lab.now, STANDARD_POLICY);
        const resumed = takeOver(lab.state, 'host-b:42:1', lab.now);
        const first = decide(resumed, lab.observations, lab.now, STANDARD_POLICY);
        expect(first.action === 'rollback' || first.action === 'pause', first.reasons.join('; ')).toBe(false);
        // Without the take-over, a canary host never checked is failed for the gap: what the take-over prevents.
        if (checkedBefore === 0) expect(stale.action).toBe('rollback');
        expect(resumed.audit.at(-1)).toMatchObject({ actor: 'host-b:42:1', action: 'take-over', reasons: [`driver host-b:42:1 took over at ${new Date(lab.now).toISOString()}`, expect.any(String)] });
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });
});
