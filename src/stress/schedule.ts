/** A seeded PRNG (mulberry32): the same seed gives the same kill schedule on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Which workers are killed, and inside which of their transactions: `kills` distinct workers, each at
 * one sequence number in [0, ops). Returns worker → sequence number.
 * @example planKills(42, 8, 40, 2) // Map { 5 => 17, 2 => 31 }, the same for every run with seed 42
 */
export function planKills(seed: number, workers: number, ops: number, kills: number): Map<number, number> {
  const random = seededRandom(seed);
  const pool = Array.from({ length: workers }, (_, i) => i);
  const plan = new Map<number, number>();
  for (let k = 0; k < kills && pool.length > 0; k++) {
    const [worker] = pool.splice(Math.floor(random() * pool.length), 1) as [number];
    plan.set(worker, Math.floor(random() * ops));
  }
  return plan;
}
