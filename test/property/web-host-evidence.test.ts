import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failingChecks, type Observation } from '../../rollout/engine/observations.ts';
import { judgeHost } from '../../rollout/engine/host-verdict.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import type { HostState } from '../../rollout/engine/state.ts';
import { hostEvidence } from '../../web/model/host-evidence.ts';

/*
 * hostEvidence reads a host's history from its newest run back and stops early; it must pick the
 * run the whole-history definition picks: of the runs on the target version since the host was
 * patched that judged anything, the last failing one, shown for a failed host or when it is the
 * newest of them. For a host the engine failed from its check runs, the evidence is the run its
 * reason names (the checks the reason lists), with that last failing run beside it when it is
 * another.
 */

const TARGET = '2.0';

function byDefinition(host: HostState, history: readonly Observation[]): Observation | null {
  const since = host.patchedAt ?? Number.NEGATIVE_INFINITY;
  const onTarget = history.filter((o) => o.version === TARGET && o.at >= since && failingChecks(o) !== null);
  const lastFailing = onTarget.filter((o) => (failingChecks(o) ?? []).length > 0).at(-1);
  if (!lastFailing) return null;
  if (host.failure === null && lastFailing !== onTarget.at(-1)) return null;
  return lastFailing;
}

const run = fc.record({
  at: fc.integer({ min: 0, max: 20 }),
  version: fc.constantFrom('1.0', TARGET),
  statuses: fc.array(fc.constantFrom('pass' as const, 'fail' as const, 'error' as const, 'skip' as const), { maxLength: 3 }),
});

describe('hostEvidence', () => {
  it('picks the run the whole-history definition picks, for any history', () => {
    fc.assert(
      fc.property(fc.array(run, { maxLength: 30 }), fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }), fc.boolean(), (runs, patchedAt, failed) => {
        const history: Observation[] = runs.map((r, i) => ({
          hostId: 'h',
          at: r.at,
          version: r.version,
          checks: r.statuses.map((status, c) => ({ id: `c${c}`, status, message: `r${i}: expected 0, got 1` })),
        }));
        const host: HostState = {
          id: 'h', ring: 0, phase: failed ? 'failed' : 'healthy', baseVersion: '1.0', version: TARGET, patchStartedAt: patchedAt, patchedAt,
          failure: failed ? { reason: 'failed', at: 20, acceptedBy: null } : null,
        };
        const expected = byDefinition(host, history);
        const found = hostEvidence(host, history, TARGET);
        expect(found === null ? null : [found.at, found.checks.map((c) => c.expectations[0]?.attribute)]).toEqual(
          expected === null ? null : [expected.at, expected.checks.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => c.message!.split(':')[0])],
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('shows a host the engine failed from its checks by the run its reason names, and the newest failing run beside it', () => {
    const policy = { ...STANDARD_POLICY, checkTimeoutMs: 5, maxFlaps: 1 };
    fc.assert(
      fc.property(fc.array(run, { maxLength: 30 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 25 }), (runs, patchedAt, judgedAt) => {
        // In time order, as the store gives a host's history; checks named by their place, so a reason can name them.
        const history: Observation[] = runs
          .map((r, i) => ({ hostId: 'h', at: r.at, version: r.version, checks: r.statuses.map((status, c) => ({ id: `c${c}`, status, message: `r${i}: expected 0, got 1` })) }))
          .sort((a, b) => a.at - b.at);
        const patched: HostState = { id: 'h', ring: 0, phase: 'healthy', baseVersion: '1.0', version: TARGET, patchStartedAt: patchedAt, patchedAt, failure: null };
        const seen = history.filter((o) => o.at <= judgedAt);
        const verdict = judgeHost(patched, seen, TARGET, judgedAt, policy);
        if (verdict.kind !== 'failed') return;
        const host: HostState = { ...patched, phase: 'failed', failure: { reason: verdict.reason, at: judgedAt, acceptedBy: null } };
        const found = hostEvidence(host, history, TARGET);
        const newest = byDefinition(host, history);
        const named = /^failed (.+?)(, and again on re-check| and was not re-checked within .+)?$/.exec(verdict.reason)?.[1];
        if (named === undefined) {
          // "no check result", "flapped": the newest failing run, as for any failed host.
          expect(found?.at ?? null).toBe(newest?.at ?? null);
          expect(found?.newest ?? null).toBeNull();
          return;
        }
        expect(found).not.toBeNull();
        expect(found!.checks.map((c) => c.id).join(', ')).toBe(named);
        expect(found!.at).toBeLessThanOrEqual(judgedAt);
        // Beside it, the newest failing run, unless it failed the same way (each run's messages here name the run, so only the run itself does).
        if (found!.newest === null) expect(found!.at).toBe(newest!.at);
        else expect(found!.newest.at).toBe(newest!.at);
      }),
      { numRuns: 3000 },
    );
  });
});
