import type { BackendName } from '../backend/types.js';
import { lock } from '../lock/acquire.js';

/** A contention worker forked by backend-bench: argv BACKEND TARGET DURATION_MS HOLD_US GAP_US. */
const [backend, target, durationMs, holdUs, gapUs] = process.argv.slice(2) as [BackendName, string, string, string, string];

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Think time off the CPU (a real worker would do I/O), the same for every backend. */
function sleep(us: number): void {
  Atomics.wait(sleeper, 0, 0, us / 1000);
}

/** The critical section: CPU work, like a short SQLite transaction. */
function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

async function runLoop(): Promise<{ ops: number; waits: number[] }> {
  const waits: number[] = [];
  const stop = performance.now() + Number(durationMs);
  let ops = 0;
  while (performance.now() < stop) {
    const asked = performance.now();
    const held = await lock(target, { backend, timeout: 'inf' });
    waits.push(performance.now() - asked);
    spin(Number(holdUs));
    held.release();
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
