import type { BenchTable } from './table.js';

/** Lock-engine benchmarks (filled in below). */
export async function runLockBench(_options: { quick: boolean; log: (line: string) => void }): Promise<BenchTable[]> {
  return [];
}
