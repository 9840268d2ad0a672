import type { BenchSuite } from './types.js';

/** Every suite, in the order `npm run bench` and `dblock bench` print them; each loads its module lazily. */
export const SUITES: BenchSuite[] = [
  { name: 'lock', steps: 6, run: async (o) => (await import('./lock-bench.js')).runLockBench(o) },
  { name: 'backend', steps: 8, run: async (o) => (await import('./backend-bench.js')).runBackendBench(o) },
  { name: 'postgres', steps: 9, run: async (o) => (await import('./postgres-bench.js')).runPostgresBench(o) },
  { name: 'sqlite', steps: 35, run: async (o) => (await import('./sqlite-bench.js')).runSqliteBench(o) },
  { name: 'intent', steps: 4, run: async (o) => (await import('./intent-bench.js')).runIntentBench(o) },
  { name: 'batch', steps: 10, run: async (o) => (await import('./batch-bench.js')).runBatchBench(o) },
  { name: 'wal', steps: 2, run: async (o) => (await import('./wal-bench.js')).runWalBench(o) },
];
