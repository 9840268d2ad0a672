import { defineConfig } from 'vitest/config';

// Multi-process tests contend for 2 cores: files run one at a time, each test has a hard limit.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
