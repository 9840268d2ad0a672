import { openSync, readFileSync } from 'node:fs';
import fsExt from 'fs-ext';
import type { BackendName } from '../backend/types.js';
import { lock } from '../lock/acquire.js';

/**
 * A contention worker forked by lock-bench and backend-bench: argv STRATEGY TARGET DURATION_MS HOLD_US GAP_US,
 * where STRATEGY is `raw` (blocking flockSync, the plain flock(2) baseline) or a dblock backend name.
 */
type Strategy = 'raw' | BackendName;

const [strategy, target, durationMs, holdUs, gapUs] = process.argv.slice(2) as [Strategy, string, string, string, string];

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Think time off the CPU (a real worker would do I/O), the same for every strategy. */
function sleep(us: number): void {
  Atomics.wait(sleeper, 0, 0, us / 1000);
}

function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

/** Times this thread went to sleep (Linux; 0 elsewhere): each is one wake-up, robust to machine load. */
function sleeps(): number {
  try {
    return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync('/proc/thread-self/status', 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A worker's report: ops, lock waits (ms), CPU µs and sleeps spent, and when each acquisition happened (ms since epoch). */
export interface WorkerReport {
  ops: number;
  waits: number[];
  cpuUs: number;
  sleeps: number;
  acquiredAt: number[];
}

async function runLoop(): Promise<WorkerReport> {
  const waits: number[] = [];
  const acquiredAt: number[] = [];
  const cpuBefore = process.cpuUsage();
  const sleepsBefore = sleeps();
  const stop = performance.now() + Number(durationMs);
  const fd = strategy === 'raw' ? openSync(`${target}.lock`, 'a') : -1;
  let ops = 0;
  while (performance.now() < stop) {
    const asked = performance.now();
    if (strategy === 'raw') {
      fsExt.flockSync(fd, 'ex'); // blocking in the main thread: the plain flock(2) baseline
      waits.push(performance.now() - asked);
      acquiredAt.push(performance.timeOrigin + performance.now());
      spin(Number(holdUs));
      fsExt.flockSync(fd, 'un');
    } else {
      const held = await lock(target, { backend: strategy, timeout: 'inf' });
      waits.push(performance.now() - asked);
      acquiredAt.push(performance.timeOrigin + performance.now());
      spin(Number(holdUs));
      held.release();
    }
    ops += 1;
    if (Number(gapUs) > 0) sleep(Number(gapUs));
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { ops, waits, cpuUs: cpu.user + cpu.system, sleeps: sleeps() - sleepsBefore, acquiredAt };
}

process.send?.({ ready: true });
process.once('message', async () => {
  const result = await runLoop();
  process.send?.(result, () => process.exit(0));
});
