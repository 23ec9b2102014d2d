import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start GStreamer processes and brokers; two cores cannot take them all at once.
    fileParallelism: false,
    pool: 'forks',
  },
});
