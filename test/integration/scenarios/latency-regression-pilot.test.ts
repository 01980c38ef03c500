import { expect, it } from 'vitest';
import { decided, expectEnding, SCENARIO_TIMEOUT_MS } from './ending.ts';

it('latency-regression-pilot.yaml: rolled back in pilot by the Mann-Whitney gate, with no failed check', () =>
  expectEnding('latency-regression-pilot.yaml', {
    phase: 'rolled-back',
    ring: 'pilot',
    also: (_state, decisions) => {
      const rollback = decided(decisions, 'rollback')[0];
      expect(rollback?.reasons.join(' ')).toMatch(/slower on patched hosts.*Mann-Whitney/);
      expect(rollback?.figures['pilot.failed']).toBe(0);
    },
  }), SCENARIO_TIMEOUT_MS);
