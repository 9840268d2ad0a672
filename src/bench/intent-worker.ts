import { declareIntent } from '../intent/declare.js';
import { locateRegistry } from '../intent/location.js';
import { openRegistryCached } from '../intent/registry.js';

/**
 * A submission worker forked by intent-bench: argv REGISTRY PATH DURATION_MS. Once told 'go', it
 * declares PATH and releases it in a loop, and reports its count and per-submission latencies (ms).
 */
const [registry, path, durationMs] = process.argv.slice(2) as [string, string, string];

async function runLoop(): Promise<{ ops: number; latencies: number[] }> {
  const latencies: number[] = [];
  const stop = performance.now() + Number(durationMs);
  let ops = 0;
  while (performance.now() < stop) {
    const asked = performance.now();
    const intent = await declareIntent(path, { registry, timeout: 'inf' });
    latencies.push(performance.now() - asked);
    await intent.release();
    ops += 1;
  }
  return { ops, latencies };
}

await openRegistryCached(locateRegistry(registry, true));
process.send?.({ ready: true });
process.once('message', async () => {
  const result = await runLoop();
  process.send?.(result, () => process.exit(0));
});
