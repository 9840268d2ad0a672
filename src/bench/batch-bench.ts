import { join } from 'node:path';
import { runBatchContention } from './batch-contention.js';
import { runProducerBench } from './batch-producer-bench.js';
import {
  type Budget,
  type Journal,
  type Measured,
  makeRows,
  runAsyncBatched,
  runAsyncSingle,
  runSyncLoop,
} from './batch-strategies.js';
import { withScratchDir } from './scratch.js';
import { median, num, times } from './table.js';
import type { BenchCell, BenchTable, Measure, BenchOptions as Options } from './types.js';

/** One comparison: the blocking raw loop and dblock's non-blocking way, at K rows per transaction. */
interface Pair {
  k: number;
  sync: string;
  async: string;
  runAsync: (path: string, journal: Journal, budget: Budget) => Promise<Measured>;
}

const PAIRS: Pair[] = [
  { k: 1, sync: 'sync single', async: 'async single (db.write)', runAsync: runAsyncSingle },
  ...[10, 1000].map((k) => ({
    k,
    sync: 'sync batched',
    async: 'async batched (batchWriter)',
    runAsync: (path: string, journal: Journal, budget: Budget) => runAsyncBatched(path, journal, k, budget),
  })),
];

/** The write strategies of an agent-turn log, then two producer patterns in one and in four processes. */
export async function runBatchBench(options: Options): Promise<BenchTable[]> {
  return withScratchDir('dblock-batch-bench-', async (dir) => [
    await strategies(dir, options),
    await runProducerBench(dir, options),
    await runBatchContention(dir, options),
  ]);
}

async function strategies(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const reps = quick ? 1 : 7;
  const budget: Budget = { rows: makeRows(quick ? 100_000 : 300_000), budgetMs: quick ? 150 : 300 };
  let files = 0;
  const fresh = (): string => join(dir, `s${files++}.db`);
  const rows: BenchCell[][] = [];
  for (const journal of ['wal', 'delete'] as const) {
    for (const pair of PAIRS) {
      log(`  ${journal}, ${pair.k} row(s) per transaction: sync vs async…`);
      // Warm the JIT and the page cache before anything is timed.
      runSyncLoop(fresh(), journal, pair.k, { ...budget, budgetMs: 30 });
      await pair.runAsync(fresh(), journal, { ...budget, budgetMs: 30 });
      const sync: number[] = [];
      const async: number[] = [];
      // Interleaved: load from elsewhere on the machine hits both alike.
      for (let rep = 0; rep < reps; rep++) {
        sync.push(rate(runSyncLoop(fresh(), journal, pair.k, budget)));
        async.push(rate(await pair.runAsync(fresh(), journal, budget)));
      }
      const ratio = median(async) / median(sync);
      const label = journal === 'wal' ? 'WAL' : 'rollback (delete)';
      rows.push(row(pair.sync, label, pair.k, median(sync), times(1), 'yes'));
      rows.push(row(pair.async, label, pair.k, median(async), times(ratio), 'no'));
    }
  }
  return {
    title: `Write strategies, one process (median of ${reps}; rows of ~200 bytes)`,
    keyColumns: 3,
    columns: ['strategy', 'journal', 'rows/txn', 'µs/row', 'rows/s', 'vs sync, same rows/txn', 'blocks event loop'],
    rows,
    notes: [
      'sync = the raw floor: better-sqlite3 + flockSync on the sidecar + BEGIN IMMEDIATE + K inserts + COMMIT (a blocking loop). async = dblock (lock waits never block the event loop). WAL: synchronous=NORMAL; rollback: FULL (dblock’s defaults). Each strategy runs fresh databases, interleaved with its pair; ratios are of the medians.',
    ],
  };
}

function rate(m: Measured): number {
  return m.rows / (m.ms / 1000);
}

function row(strategy: string, journal: string, k: number, rowsPerSec: number, ratio: Measure, blocks: string): BenchCell[] {
  return [strategy, journal, k, num(1e6 / rowsPerSec, 2), num(rowsPerSec, 0), ratio, blocks];
}
