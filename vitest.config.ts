import { defineConfig } from 'vitest/config';

// Multi-process tests contend for 2 cores: files run one at a time, each test has a hard limit.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL server for the run (the postgres backend's tests); about 1 s to start.
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
