import { fork } from 'node:child_process';
import type { WorkerReport } from './lock-worker.js';
import { benchWorker } from './paths.js';
import { percentile } from './table.js';

// Found from the package root: the bundled CLI runs this module from another directory.
const WORKER = benchWorker('lock-worker.js');

/** One contention run: N processes looping acquire → hold → release → think, for a fixed time. */
export interface ContentionRun {
  /** `raw` (blocking flockSync) or a dblock backend name. */
  strategy: string;
  target: string;
  workers: number;
  ms: number;
  holdUs: number;
  gapUs: number;
}

export interface ContentionResult {
  opsPerSec: number;
  /** Lock waits in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  /** Fewest ops of any process / most ops of any process. */
  fairness: number;
  /** CPU time of all workers per op, µs: unlike wall-clock rates, barely moved by other load on the machine. */
  cpuUsPerOp: number;
  /** Times a worker went to sleep, per op: how many processes each hand-off wakes (Linux). */
  sleepsPerOp: number;
  /** Share of acquisitions by the process that held the lock just before (barging). */
  repeat: number;
}

/** Fork the workers (lock-worker.js), start them together, and summarise their ops and waits. */
export async function runContention(run: ContentionRun): Promise<ContentionResult> {
  const args = [run.strategy, run.target, String(run.ms), String(run.holdUs), String(run.gapUs)];
  const children = Array.from({ length: run.workers }, () => fork(WORKER, args, { stdio: 'ignore' }));
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
  const results = children.map(
    (child) => new Promise<WorkerReport>((resolve) => child.once('message', (m) => resolve(m as never))),
  );
  for (const child of children) child.send('go');
  const all = await Promise.all(results);
  const ops = all.map((r) => r.ops);
  const waits = all.flatMap((r) => r.waits);
  const total = ops.reduce((a, b) => a + b, 0);
  return {
    opsPerSec: total / (run.ms / 1000),
    p50: percentile(waits, 50),
    p99: percentile(waits, 99),
    max: waits.reduce((a, b) => Math.max(a, b), 0),
    fairness: Math.min(...ops) / Math.max(...ops),
    cpuUsPerOp: all.reduce((a, r) => a + r.cpuUs, 0) / Math.max(1, total),
    sleepsPerOp: all.reduce((a, r) => a + r.sleeps, 0) / Math.max(1, total),
    repeat: repeatShare(all.map((r) => r.acquiredAt)),
  };
}

/** Merge every worker's acquisition times and count how often one worker follows itself. */
function repeatShare(perWorker: number[][]): number {
  const events = perWorker.flatMap((times, worker) => times.map((at) => ({ at, worker })));
  events.sort((a, b) => a.at - b.at);
  let repeats = 0;
  for (let i = 1; i < events.length; i++) if (events[i]?.worker === events[i - 1]?.worker) repeats += 1;
  return events.length > 1 ? repeats / (events.length - 1) : 0;
}
