import { it } from 'vitest';
import { expectEnding, SCENARIO_TIMEOUT_MS } from './ending.ts';

it('demo.yaml: the patch reaches all 16 hosts through canary, pilot and broad', () => expectEnding('demo.yaml', { phase: 'completed', ring: 'broad' }), SCENARIO_TIMEOUT_MS);
