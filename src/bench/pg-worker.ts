import { openSync } from 'node:fs';
import fsExt from 'fs-ext';
import pg from 'pg';
import { lock } from '../lock/acquire.js';

/**
 * A contention worker forked by postgres-bench: argv STRATEGY TARGET URL DURATION_MS HOLD_US GAP_US,
 * STRATEGY one of `flock`, `postgres` (dblock's backends) or `raw-pg` (one `pg` client doing
 * pg_advisory_lock / pg_advisory_unlock: the baseline). Reports ops and each hold's [acquired, released]
 * on a clock comparable across processes (timeOrigin + now), for hand-off latency.
 */
const [strategy, target, url, durationMs, holdUs, gapUs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const now = (): number => performance.timeOrigin + performance.now();

function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

/** Acquire and release for one strategy (set up once: a raw client connects before the clock starts). */
async function strategyOf(): Promise<{ take: () => Promise<() => void> }> {
  if (strategy === 'raw-pg') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      take: async () => {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [target]);
        return () => void client.query('SELECT pg_advisory_unlock(hashtext($1))', [target]);
      },
    };
  }
  if (strategy === 'raw-flock') {
    const fd = openSync(`${target}.lock`, 'a');
    return {
      take: async () => {
        fsExt.flockSync(fd, 'ex');
        return () => fsExt.flockSync(fd, 'un');
      },
    };
  }
  const options = strategy === 'postgres' ? { backend: 'postgres' as const, url, exact: true } : { backend: 'flock' as const };
  // One acquisition before the clock starts: the session (or sidecar) is opened outside the measurement.
  (await lock(target, { ...options, timeout: 'inf' })).release();
  return {
    take: async () => {
      const held = await lock(target, { ...options, timeout: 'inf' });
      return () => held.release();
    },
  };
}

async function runLoop(take: () => Promise<() => void>): Promise<{ ops: number; holds: [number, number][] }> {
  const holds: [number, number][] = [];
  const stop = performance.now() + Number(durationMs);
  while (performance.now() < stop) {
    const release = await take();
    const acquired = now();
    spin(Number(holdUs));
    const released = now();
    release();
    holds.push([acquired, released]);
    if (Number(gapUs) > 0) Atomics.wait(sleeper, 0, 0, Number(gapUs) / 1000);
  }
  return { ops: holds.length, holds };
}

const { take } = await strategyOf();
process.send?.({ ready: true });
process.once('message', async () => {
  const result = await runLoop(take);
  process.send?.(result, () => process.exit(0));
});
