import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failingChecks, type Observation } from '../../rollout/engine/observations.ts';
import type { HostState } from '../../rollout/engine/state.ts';
import { hostEvidence } from '../../web/model/host-evidence.ts';

/*
 * hostEvidence reads a host's history from its newest run back and stops early; it must pick the
 * run the whole-history definition picks: of the runs on the target version since the host was
 * patched that judged anything, the last failing one, shown for a failed host or when it is the
 * newest of them.
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
});
