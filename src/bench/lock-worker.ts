import { openSync } from 'node:fs';
import fsExt from 'fs-ext';
import { lock } from '../lock/acquire.js';

/** A contention worker forked by lock-bench: argv STRATEGY TARGET DURATION_MS HOLD_US GAP_US. */
type Strategy = 'dblock' | 'flock-raw';

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

async function runLoop(): Promise<{ ops: number; waits: number[] }> {
  const waits: number[] = [];
  const stop = performance.now() + Number(durationMs);
  const fd = strategy === 'flock-raw' ? openSync(`${target}.lock`, 'a') : -1;
  let ops = 0;
  while (performance.now() < stop) {
    const asked = performance.now();
    if (strategy === 'flock-raw') {
      fsExt.flockSync(fd, 'ex'); // blocking in the main thread: the plain flock(2) baseline
      waits.push(performance.now() - asked);
      spin(Number(holdUs));
      fsExt.flockSync(fd, 'un');
    } else {
      const held = await lock(target, { timeout: 'inf' });
      waits.push(performance.now() - asked);
      spin(Number(holdUs));
      held.release();
    }
    ops += 1;
    if (Number(gapUs) > 0) sleep(Number(gapUs));
  }
  return { ops, waits };
}

process.send?.({ ready: true });
process.once('message', async () => {
  const result = await runLoop();
  process.send?.(result, () => process.exit(0));
});
