import type { BenchTable } from './table.js';

/** A named benchmark suite producing one or more tables. `quick` runs shorter (for `dblock bench --quick`). */
export interface BenchSuite {
  name: string;
  run: (options: { quick: boolean; log: (line: string) => void }) => Promise<BenchTable[]>;
}

/** Every suite, in the order `npm run bench` prints them; each loads its module lazily. */
export const SUITES: BenchSuite[] = [
  { name: 'lock', run: async (o) => (await import('./lock-bench.js')).runLockBench(o) },
  { name: 'backend', run: async (o) => (await import('./backend-bench.js')).runBackendBench(o) },
  { name: 'sqlite', run: async (o) => (await import('./sqlite-bench.js')).runSqliteBench(o) },
  { name: 'intent', run: async (o) => (await import('./intent-bench.js')).runIntentBench(o) },
];
