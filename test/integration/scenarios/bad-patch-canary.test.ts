import { expect, it } from 'vitest';
import { decided, expectEnding, SCENARIO_TIMEOUT_MS } from './ending.ts';

it('bad-patch-canary.yaml: caught in canary and rolled back; pilot and broad never touched', () =>
  expectEnding('bad-patch-canary.yaml', {
    phase: 'rolled-back',
    ring: 'canary',
    also: (state, decisions) => {
      expect(decided(decisions, 'promote')).toEqual([]);
      expect(state.hosts.filter((h) => h.ring > 0).every((h) => h.phase === 'pending')).toBe(true);
    },
  }), SCENARIO_TIMEOUT_MS);
