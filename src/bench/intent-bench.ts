import { fork, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { declareIntent } from '../intent/declare.js';
import { locateRegistry } from '../intent/location.js';
import { openRegistryCached } from '../intent/registry.js';
import { benchWorker, DBLOCK_BIN } from './paths.js';
import { withScratchDir } from './scratch.js';
import { median, num, percentile, perOpMicros, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

/** Write-intent registry: the cost of one submit + release, and throughput of 8 processes on disjoint paths. */
export async function runIntentBench(options: Options): Promise<BenchTable[]> {
  return withScratchDir('dblock-intent-bench-', async (dir) => [await uncontended(dir, options), await disjoint(dir, options)]);
}

async function uncontended(dir: string, { quick, log }: Options): Promise<BenchTable> {
  log('  uncontended submit + release…');
  const registry = join(dir, 'u.db');
  const n = quick ? 100 : 1000;
  const reg = await openRegistryCached(locateRegistry(registry, true));
  const emptyTx = await perOpMicros(5, n, () => reg.db.write(() => undefined));
  const one = await perOpMicros(5, n, async () => (await declareIntent(join(dir, 'a.json'), { registry })).release());
  const many = Array.from({ length: 10 }, (_, i) => join(dir, `f${i}.json`));
  const ten = await perOpMicros(5, n, async () => (await declareIntent(many, { registry })).release());
  log('  exec start-up with and without --writes…');
  const runs = quick ? 5 : 15;
  const job = (args: string[]): number => {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      spawnSync(process.execPath, [DBLOCK_BIN, 'exec', ...args, '--', 'true'], { stdio: 'ignore' });
      samples.push(performance.now() - start);
    }
    return median(samples);
  };
  const lockJob = job(['--db', join(dir, 'app.db')]);
  const intentJob = job(['--registry', registry, '--writes', join(dir, 'b.json')]);
  return {
    title: 'Write intent: uncontended submit + release (in process, µs, median of batches)',
    columns: ['operation', 'µs/op', 'vs one registry transaction'],
    rows: [
      ['one empty registry write transaction (db.write)', num(emptyTx, 1), times(1)],
      ['declareIntent(1 path) + release()', num(one, 1), times(one / emptyTx)],
      ['declareIntent(10 paths) + release()', num(ten, 1), times(ten / emptyTx)],
      [`dblock exec --db app.db -- true (ms/job, median of ${runs})`, num(lockJob, 1), ''],
      [`dblock exec --writes b.json -- true (ms/job, median of ${runs})`, num(intentJob, 1), ''],
    ],
    notes: ['submit + release = liveness file create + flock, 2 registry transactions (insert, delete), unlink.'],
  };
}

async function disjoint(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const ms = quick ? 1000 : 3000;
  const registry = join(dir, 'd.db');
  const rows: BenchCell[][] = [];
  let single = 0;
  for (const workers of [1, 8]) {
    log(`  ${workers} process(es) submitting disjoint paths…`);
    const r = await runWorkers(registry, dir, workers, ms);
    if (workers === 1) single = r.opsPerSec;
    rows.push([workers, num(r.opsPerSec, 0), num(r.p50, 2), num(r.p99, 2), num(r.max, 1), times(r.opsPerSec / single)]);
  }
  return {
    title: `Write intent: processes submitting + releasing disjoint paths (${ms / 1000}s each)`,
    columns: ['processes', 'submits/s (total)', 'submit p50 ms', 'submit p99 ms', 'submit max ms', 'vs 1 process'],
    rows,
    notes: ['Every submission is a registry transaction under its sidecar lock: disjoint paths still serialize there.'],
  };
}

async function runWorkers(registry: string, dir: string, workers: number, ms: number) {
  const worker = benchWorker('intent-worker.js');
  const children = Array.from({ length: workers }, (_, i) =>
    fork(worker, [registry, join(dir, `w${workers}-${i}.json`), String(ms)], { stdio: 'ignore' }),
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const results = children.map(
    (child) => new Promise<{ ops: number; latencies: number[] }>((resolve) => child.once('message', (m) => resolve(m as never))),
  );
  for (const child of children) child.send('go');
  const all = await Promise.all(results);
  const latencies = all.flatMap((r) => r.latencies);
  return {
    opsPerSec: all.reduce((sum, r) => sum + r.ops, 0) / (ms / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
  };
}
