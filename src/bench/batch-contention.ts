import { fork } from 'node:child_process';
import { join } from 'node:path';
import { PRODUCERS, SIZES } from './batch-producer-bench.js';
import { createEvDatabase, type ProducerRun } from './batch-producers.js';
import { benchWorker } from './paths.js';
import { median, num, times } from './table.js';
import type { BenchCell, BenchTable, BenchOptions as Options } from './types.js';

const PROCESSES = 4;

/** Rows per second of all processes together, and the slowest process's rate over the fastest's. */
interface Contended {
  rate: number;
  fairness: number;
}

/**
 * Four processes writing one WAL database at once, each through the same strategy: the raw floor
 * (blocking flockSync) and a batch writer per process fed by each producer pattern, interleaved.
 */
export async function runBatchContention(dir: string, { quick, log }: Options): Promise<BenchTable> {
  const reps = quick ? 1 : 3;
  const count = quick ? 5000 : 30_000;
  let files = 0;
  const once = async (run: ProducerRun): Promise<Contended> => {
    const path = join(dir, `c${files++}.db`);
    await createEvDatabase(path);
    const ms = await runWorkers(path, run, count);
    const rates = ms.map((m) => count / (m / 1000));
    return { rate: (PROCESSES * count) / (Math.max(...ms) / 1000), fairness: Math.min(...rates) / Math.max(...rates) };
  };
  const out: BenchCell[][] = [];
  for (const size of SIZES) {
    log(`  ${PROCESSES} processes, bufferSize ${size.bufferSize} / capacity ${size.capacity}: floor vs both producers…`);
    const runs: ProducerRun[] = [{ producer: 'floor', ...size }, ...PRODUCERS.map((p) => ({ ...size, producer: p.producer }))];
    const results = runs.map((): Contended[] => []);
    for (let rep = 0; rep < reps; rep++) {
      for (const [i, run] of runs.entries()) results[i]?.push(await once(run));
    }
    const floor = median((results[0] ?? []).map((r) => r.rate));
    const labels = ['raw floor (flockSync)', ...PRODUCERS.map((p) => p.label)];
    for (const [i, label] of labels.entries()) {
      const rate = median((results[i] ?? []).map((r) => r.rate));
      const fairness = median((results[i] ?? []).map((r) => r.fairness));
      out.push([label, `${size.bufferSize} / ${size.capacity}`, num(rate, 0), num(fairness), times(rate / floor)]);
    }
  }
  return {
    title: `${PROCESSES} processes writing one WAL database at once (${count.toLocaleString('en-US')} rows each, median of ${reps})`,
    keyColumns: 2,
    columns: ['producer', 'bufferSize / capacity', 'rows/s (all processes)', 'fairness min/max', 'vs raw floor'],
    rows: out,
    notes: [
      'Every transaction takes the sidecar lock; the raw floor waits for it in a blocking flockSync, the batch writer never blocks. rows/s = all rows over the slowest process’s time.',
    ],
  };
}

/** Fork the writers, start them together once all are ready, and collect each one's milliseconds. */
async function runWorkers(path: string, run: ProducerRun, count: number): Promise<number[]> {
  const children = Array.from({ length: PROCESSES }, (_, w) => {
    const args = [path, String(w), run.producer, String(run.bufferSize), String(run.capacity), String(count)];
    return fork(benchWorker('batch-worker.js'), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  });
  const exited = children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  try {
    await Promise.all(children.map((child) => nextMessage(child)));
    const results = children.map((child) => nextMessage(child));
    for (const child of children) child.send('go');
    return (await Promise.all(results)).map((m) => (m as { ms: number }).ms);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await Promise.all(exited);
  }
}

function nextMessage(child: ReturnType<typeof fork>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`a bench writer exited early (code ${code})`)));
  });
}
