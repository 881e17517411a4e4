import { defineConfig } from 'vitest/config';

// Load tests: real control plane and real Flink for many minutes, each behind its own npm script
// (test:load:*) and never in the default run (vitest.config.ts does not include test/load).
export default defineConfig({
  test: {
    reporters: ['default'],
    include: ['test/load/**/*.test.ts'],
    testTimeout: 40 * 60_000,
    hookTimeout: 10 * 60_000,
    fileParallelism: false,
  },
});
