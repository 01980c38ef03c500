import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Two cores: integration files start real containers, so run two files at a time at most.
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    env: {
      TESTCONTAINERS_RYUK_DISABLED: 'true',
      TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1',
    },
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
