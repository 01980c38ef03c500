import { expect, it } from 'vitest';
import { decided, expectEnding, SCENARIO_TIMEOUT_MS } from './ending.ts';

it('flaky-host.yaml: a pilot host that fails once and passes its re-check does not roll the fleet back', () =>
  expectEnding('flaky-host.yaml', {
    phase: 'completed',
    ring: 'broad',
    also: (_state, decisions) => {
      expect(decided(decisions, 'rollback')).toEqual([]);
      expect(decisions.flatMap((d) => d.reasons).join(' ')).toMatch(/flaky, cleared on re-check/);
    },
  }), SCENARIO_TIMEOUT_MS);
