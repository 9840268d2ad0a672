import { join } from 'node:path';
import type { BackendName } from '../backend/types.js';
import { lock } from '../lock/acquire.js';
import { runContention } from './contention.js';
import { withScratchDir } from './scratch.js';
import { median, num, percentile, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

const BACKENDS: readonly BackendName[] = ['flock', 'mkdir'];

/** flock vs mkdir through the whole engine (`lock()` + `release()`): uncontended cost, then contention across processes. */
export async function runBackendBench(options: Options): Promise<BenchTable[]> {
  return withScratchDir('dblock-backend-bench-', async (dir) => [await uncontended(dir, options), await contended(dir, options)]);
}

async function uncontended(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const n = quick ? 500 : 3000;
  const stats = new Map<BackendName, { p50: number; p99: number }>();
  for (const backend of BACKENDS) {
    log(`  uncontended, ${backend}…`);
    const target = join(dir, `u-${backend}.db`);
    const samples: number[] = [];
    for (let i = 0; i < n + 100; i++) {
      const start = performance.now();
      (await lock(target, { backend })).release();
      if (i >= 100) samples.push((performance.now() - start) * 1000); // the first 100 warm up
    }
    stats.set(backend, { p50: median(samples), p99: percentile(samples, 99) });
  }
  const flock = stats.get('flock')?.p50 ?? Number.NaN;
  return {
    title: `Uncontended lock() + release() by backend (µs, ${n} ops)`,
    columns: ['backend', 'median µs', 'p99 µs', 'vs flock'],
    rows: BACKENDS.map((b) => {
      const s = stats.get(b) ?? { p50: Number.NaN, p99: Number.NaN };
      return [b, num(s.p50, 1), num(s.p99, 1), times(s.p50 / flock)];
    }),
    notes: [
      'mkdir = mkdir + holder.json create + lstat, then unlink + rmdir: directory operations, on the filesystem under test.',
    ],
  };
}

async function contended(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const ms = quick ? 800 : 2500;
  const regimes = [
    { workers: 4, name: 'tight loop, 100 µs held', hold: 100, gap: 0 },
    { workers: 8, name: 'tight loop, 100 µs held', hold: 100, gap: 0 },
    { workers: 8, name: '200 µs held, 1 ms between', hold: 200, gap: 1000 },
  ];
  const rows: BenchCell[][] = [];
  for (const regime of regimes) {
    for (const backend of BACKENDS) {
      log(`  ${regime.workers} processes, ${regime.name}, ${backend}…`);
      const target = join(dir, `c-${backend}-${regime.workers}-${regime.gap}.db`);
      const r = await runContention({
        strategy: backend,
        target: target,
        workers: regime.workers,
        ms: ms,
        holdUs: regime.hold,
        gapUs: regime.gap,
      });
      rows.push([
        `${regime.workers} × ${regime.name}`,
        backend,
        num(r.opsPerSec, 0),
        num(r.p50, 2),
        num(r.p99, 1),
        num(r.fairness),
      ]);
    }
  }
  return {
    title: `Contended across processes by backend (${ms / 1000}s per run)`,
    keyColumns: 2,
    columns: ['workload', 'backend', 'ops/s', 'wait p50 ms', 'wait p99 ms', 'fairness min/max ops'],
    rows,
    notes: [
      'flock waiters are woken by an inotify notice from the releaser (starvation-mode door for order). mkdir waiters poll with jitter: the one holding `.next` every ≤5 ms, the others every ≤50 ms; a returning releaser that sees `.next` queues.',
    ],
  };
}
