import { expect, it } from 'vitest';
import { expectEnding, SCENARIO_TIMEOUT_MS } from './ending.ts';

it('good-security-patch.yaml: completes under the critical policy, every soak cut to a quarter', () =>
  expectEnding('good-security-patch.yaml', {
    phase: 'completed',
    ring: 'broad',
    also: (_state, decisions) => {
      // 20 s, 20 s and 8 s as written.
      const judged = decisions.filter((d) => d.action === 'promote' || d.action === 'complete');
      expect(judged.map((d) => d.figures.soakMs)).toEqual([5_000, 5_000, 2_000]);
    },
  }), SCENARIO_TIMEOUT_MS);
