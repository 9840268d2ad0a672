import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import fsExt from 'fs-ext';
import lockfile from 'proper-lockfile';
import { lock } from '../lock/acquire.js';
import { type ContentionResult, runContention } from './contention.js';
import { DBLOCK_BIN } from './paths.js';
import { withScratchDir } from './scratch.js';
import { fmt, median, num, perOpMicros, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

/** Lock-engine benchmarks: uncontended cost, contended hand-off across processes, exec start-up. */
export async function runLockBench(options: Options): Promise<BenchTable[]> {
  return withScratchDir('dblock-bench-', async (dir) => [
    await uncontended(dir, options),
    ...(await contended(dir, options)),
    startup(dir, options),
  ]);
}

async function uncontended(dir: string, { quick, log }: Options): Promise<BenchTable> {
  log('  uncontended acquire+release…');
  const n = quick ? 5_000 : 50_000;
  const target = join(dir, 'u.db');
  const fd = openSync(join(dir, 'raw.lock'), 'a');
  const raw = await perOpMicros(7, n, () => {
    fsExt.flockSync(fd, 'exnb');
    fsExt.flockSync(fd, 'un');
  });
  const ours = await perOpMicros(7, n, async () => (await lock(target)).release());
  const rawCpu = await cpuMicros(7, n, () => {
    fsExt.flockSync(fd, 'exnb');
    fsExt.flockSync(fd, 'un');
  });
  const oursCpu = await cpuMicros(7, n, async () => (await lock(target)).release());
  const asyncFlock = await perOpMicros(5, n / 10, async () => {
    await new Promise<void>((resolve, reject) => fsExt.flock(fd, 'ex', (err) => (err ? reject(err) : resolve())));
    fsExt.flockSync(fd, 'un');
  });
  const plFile = join(dir, 'pl.db');
  openSync(plFile, 'a');
  const proper = await perOpMicros(5, quick ? 20 : 200, async () => (await lockfile.lock(plFile, { realpath: false }))());
  return {
    title: 'Uncontended acquire + release (µs, median of batches)',
    columns: ['strategy', 'µs/op', 'vs raw flockSync', 'CPU µs/op'],
    rows: [
      ['raw fs-ext flockSync (exnb + un)', num(raw, 2), times(1), num(rawCpu, 2)],
      ['dblock lock() + release()', num(ours, 2), times(ours / raw), num(oursCpu, 2)],
      ['fs-ext async flock (threadpool)', num(asyncFlock, 2), times(asyncFlock / raw), ''],
      ['proper-lockfile lock + unlock', num(proper, 1), times(proper / raw, 0), ''],
    ],
    notes: [
      'dblock = door try + lock try + door release + holder-record pwrite, then unlock + release-notice pwrite.',
      'CPU µs/op: process CPU time instead of wall-clock, so other load on the machine does not inflate it.',
    ],
  };
}

/** Like perOpMicros, in CPU time of this process (user + system): what an op costs, not how long it waited for a core. */
async function cpuMicros(batches: number, size: number, op: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const before = process.cpuUsage();
    for (let i = 0; i < size; i++) await op();
    const used = process.cpuUsage(before);
    samples.push((used.user + used.system) / size);
  }
  return median(samples);
}

async function contended(dir: string, { quick, log }: Options): Promise<BenchTable[]> {
  const ms = quick ? 1000 : 3000;
  const regimes = [
    { name: 'tight loop', hold: 0, gap: 0 },
    { name: '200 µs held, 1 ms between', hold: 200, gap: 1000 },
  ];
  const tables: BenchTable[] = [];
  for (const regime of regimes) {
    const rows: BenchCell[][] = [];
    const runs: Record<string, ContentionResult> = {};
    for (const strategy of ['raw', 'flock']) {
      log(`  8 processes, ${regime.name}, ${strategy}…`);
      const target = join(dir, `${strategy}-${regime.hold}.db`);
      const r = await runContention({
        strategy: strategy,
        target: target,
        workers: 8,
        ms: ms,
        holdUs: regime.hold,
        gapUs: regime.gap,
      });
      runs[strategy] = r;
      rows.push([
        strategy === 'flock' ? 'dblock lock()' : 'raw blocking flockSync',
        num(r.opsPerSec, 0),
        num(r.p50 * 1000, 0),
        num(r.p99 * 1000, 0),
        num(r.max, 1),
        num(r.fairness),
        num(r.cpuUsPerOp, 0),
        num(r.sleepsPerOp),
        num(r.repeat),
      ]);
    }
    const base = runs.raw;
    const ours = runs.flock;
    tables.push({
      title: `8 processes contending, ${regime.name} (${ms / 1000}s each)`,
      columns: [
        'strategy',
        'ops/s',
        'wait p50 µs',
        'wait p99 µs',
        'wait max ms',
        'fairness min/max',
        'CPU µs/op',
        'sleeps/op',
        'same holder again',
      ],
      rows,
      notes:
        base && ours
          ? [
              `dblock/raw: throughput ${fmt(ours.opsPerSec / base.opsPerSec)}×, p99 ${fmt(ours.p99 / base.p99)}×, fairness ${fmt(ours.fairness)} vs ${fmt(base.fairness)}`,
              'CPU µs/op: CPU time of all workers per op (what waiting costs, barely moved by other load on the machine). sleeps/op: wake-ups per op, the herd a hand-off wakes (fewer on a busy machine, where waiters are still runnable at the next notice). Same holder again: the share of acquisitions that barged.',
            ]
          : [],
    });
  }
  return tables;
}

function startup(dir: string, { quick, log }: Options): BenchTable {
  log('  process start-up…');
  const runs = quick ? 7 : 21;
  const time = (file: string, args: string[]): number => {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      spawnSync(file, args, { stdio: 'ignore' });
      samples.push(performance.now() - start);
    }
    return median(samples);
  };
  const node = time(process.execPath, ['-e', '0']);
  const exec = time(process.execPath, [DBLOCK_BIN, 'exec', '--db', join(dir, 's.db'), '--', 'true']);
  const flock = time('flock', [join(dir, 's.db.lock'), 'true']);
  return {
    title: `Start-up per job (ms, median of ${runs})`,
    columns: ['command', 'ms', 'vs node -e 0'],
    rows: [
      ['node -e 0', num(node, 1), times(1)],
      ['dblock exec --db s.db -- true', num(exec, 1), times(exec / node)],
      ['flock s.db.lock true (C, for scale)', num(flock, 1), times(flock / node)],
    ],
  };
}
