import { fork } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../sqlite/open-database.js';
import { TURNS_SCHEMA } from './batch-strategies.js';
import { benchWorker } from './paths.js';
import { num, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

const PROCESSES = 4;

const STRATEGIES = [
  { name: 'sync batched (raw floor)', strategy: 'sync', k: 10 },
  { name: 'async single (db.write)', strategy: 'single', k: 1 },
  { name: 'async batched (batchWriter)', strategy: 'batched', k: 10 },
  { name: 'async batched (batchWriter)', strategy: 'batched', k: 100 },
] as const;

/** Four processes logging turns into one WAL database at once, each through one strategy. */
export async function runBatchContention(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const ms = quick ? 500 : 2000;
  const rows: BenchCell[][] = [];
  let floor = Number.NaN;
  for (const [i, s] of STRATEGIES.entries()) {
    log(`  ${PROCESSES} processes, ${s.name}, ${s.k} row(s) per transaction…`);
    const path = join(dir, `c${i}.db`);
    await (await openDatabase(path, { migrations: [TURNS_SCHEMA] })).close();
    const results = await runWorkers(path, s.strategy, s.k, ms);
    // Each process's rate over its own run (a batch writer's includes its final drain).
    const rates = results.map((r) => r.rows / (r.ms / 1000));
    const total = rates.reduce((a, b) => a + b, 0);
    if (i === 0) floor = total;
    rows.push([s.name, s.k, num(total, 0), num(Math.min(...rates) / Math.max(...rates)), times(total / floor)]);
  }
  return {
    title: `${PROCESSES} processes writing one WAL database at once (${ms / 1000}s each)`,
    keyColumns: 2,
    columns: ['strategy', 'rows/txn', 'rows/s (all processes)', 'fairness min/max', 'vs raw floor'],
    rows,
    notes: ['Every transaction takes the sidecar lock; the raw floor waits for it in a blocking flockSync.'],
  };
}

async function runWorkers(path: string, strategy: string, k: number, ms: number): Promise<{ rows: number; ms: number }[]> {
  const args = [path, strategy, String(k), String(ms)];
  const children = Array.from({ length: PROCESSES }, () => fork(benchWorker('batch-worker.js'), args, { stdio: 'ignore' }));
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const results = children.map(
    (child) => new Promise<{ rows: number; ms: number }>((resolve) => child.once('message', (m) => resolve(m as never))),
  );
  for (const child of children) child.send('go');
  return Promise.all(results);
}
