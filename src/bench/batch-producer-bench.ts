import { join } from 'node:path';
import { createEvDatabase, makeEvRows, type Producer, type ProducerRun, prepareRun } from './batch-producers.js';
import { median, num, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

/** The batch sizes compared: bufferSize / capacity. */
export const SIZES = [
  { bufferSize: 10, capacity: 1000 },
  { bufferSize: 1000, capacity: 10_000 },
] as const;

export const PRODUCERS: { producer: Exclude<Producer, 'floor'>; label: string }[] = [
  { producer: 'fire', label: 'fire every write, then Promise.all' },
  { producer: 'ready', label: 'await writer.ready before each write' },
];

/**
 * One process: the batch writer fed by each producer pattern against the raw floor at the same
 * batch size, interleaved in each repetition (load from elsewhere hits both alike); medians.
 */
export async function runProducerBench(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const reps = quick ? 1 : 3;
  const count = quick ? 10_000 : 60_000;
  const rows = makeEvRows(0, count);
  let files = 0;
  const once = async (run: ProducerRun): Promise<number> => {
    const path = join(dir, `p${files++}.db`);
    await createEvDatabase(path);
    const prepared = await prepareRun(path, run, rows);
    try {
      return count / ((await prepared.start()) / 1000);
    } finally {
      await prepared.close();
    }
  };
  const out: BenchCell[][] = [];
  for (const size of SIZES) {
    log(`  one process, bufferSize ${size.bufferSize} / capacity ${size.capacity}: floor vs both producers…`);
    const runs: ProducerRun[] = [{ producer: 'floor', ...size }, ...PRODUCERS.map((p) => ({ ...size, producer: p.producer }))];
    // Warm the JIT and the page cache before anything is timed.
    for (const run of runs) await once(run);
    const rates = runs.map((): number[] => []);
    for (let rep = 0; rep < reps; rep++) {
      for (const [i, run] of runs.entries()) rates[i]?.push(await once(run));
    }
    const floor = median(rates[0] ?? []);
    for (const [i, p] of PRODUCERS.entries()) {
      const rate = median(rates[i + 1] ?? []);
      out.push([p.label, `${size.bufferSize} / ${size.capacity}`, num(rate, 0), num(floor, 0), times(rate / floor)]);
    }
  }
  return {
    title: `Batch writer vs the raw floor, one process (${count.toLocaleString('en-US')} rows, median of ${reps})`,
    keyColumns: 2,
    columns: ['producer', 'bufferSize / capacity', 'rows/s', 'floor rows/s', 'vs raw floor'],
    rows: out,
    notes: [
      'Table ev(w INT, i INT, body TEXT, UNIQUE(w, i)), 100-byte bodies, WAL, synchronous=NORMAL, a fresh database per run.',
      'floor = blocking better-sqlite3: flockSync on the sidecar + BEGIN IMMEDIATE + bufferSize prepared inserts + COMMIT + unlock, in the same run.',
    ],
  };
}
