import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../sqlite/database.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { Concurrency } from '../sqlite/options.js';
import { withScratchDir } from './scratch.js';
import { fmt, median, num, perOpMicros, times } from './table.js';
import type { BenchOptions, BenchTable } from './types.js';

const SCHEMA = 'CREATE TABLE rows (id INTEGER PRIMARY KEY, at INTEGER, body TEXT)';
const BODY = 'x'.repeat(200);

/** The bounds compared: off, the default (never fires on a healthy WAL), and a small one that fires often. */
const BOUNDS = [
  { label: 'off (maxWalBytes: 0)', maxWalBytes: 0 },
  { label: 'default (64 MiB)', maxWalBytes: undefined },
  { label: '1 MiB (truncates often)', maxWalBytes: 1024 * 1024 },
] as const;

/**
 * One writer, single-row transactions, with and without `maxWalBytes`: the cost the bound adds to
 * each write (a stat every 16 commits, a TRUNCATE checkpoint past the bound). Rounds alternate
 * between the configurations so machine load hits them alike; the table shows medians of rounds.
 */
export async function runWalBench(options: BenchOptions): Promise<BenchTable[]> {
  // Many short rounds, compared pairwise: load from other processes drifts slower than a round lasts.
  const rounds = options.quick ? 5 : 61;
  const writes = options.quick ? 100 : 250;
  const tables: BenchTable[] = [];
  for (const concurrency of ['serialized', 'wal'] as Concurrency[]) {
    options.log(`bench wal: ${concurrency}`);
    const samples = await withScratchDir('dblock-bench-wal-', async (dir) => {
      const dbs = await Promise.all(
        BOUNDS.map((b, i) =>
          openDatabase(join(dir, `b${i}.db`), { concurrency, maxWalBytes: b.maxWalBytes, migrations: [SCHEMA] }),
        ),
      );
      try {
        const out: number[][] = BOUNDS.map(() => []);
        for (let round = 0; round < rounds; round += 1) {
          // Rotate who goes first: no configuration always runs right after a warm-up or a slow neighbour.
          for (let k = 0; k < dbs.length; k += 1) {
            const i = (round + k) % dbs.length;
            out[i]?.push(await microsPerWrite(dbs[i] as Database, writes));
          }
        }
        return out;
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });
    const off = samples[0] ?? [];
    const rows = BOUNDS.map((b, i) => {
      const us = samples[i] ?? [];
      const ratios = us.map((value, round) => value / (off[round] ?? Number.NaN));
      return [b.label, num(median(us), 1), num(1e6 / median(us), 0), times(median(ratios), 3)];
    });
    const statUs = await statMicros();
    tables.push({
      title: `Bounded WAL: one ${concurrency} writer, single-row transactions (${rounds} rounds × ${writes} writes)`,
      columns: ['maxWalBytes', 'median µs/write', 'writes/s', 'vs off (median of paired rounds)'],
      rows,
      notes: [
        `Work the default adds per write: one stat of -wal per 16 commits (${fmt(statUs, 2)} µs) ≈ ` +
          `${fmt(statUs / 16, 3)} µs = ${fmt((100 * statUs) / 16 / median(off), 3)}% of a write.`,
      ],
    });
  }
  return tables;
}

/** µs per `statSync` of an existing file: the check the bound runs every 16 commits. */
async function statMicros(): Promise<number> {
  return withScratchDir('dblock-bench-stat-', async (dir) => {
    const file = join(dir, 'x-wal');
    writeFileSync(file, 'x');
    return perOpMicros(21, 2000, () => statSync(file).size);
  });
}

async function microsPerWrite(db: Database, writes: number): Promise<number> {
  const insert = await db.read((s) => s.prepare('INSERT INTO rows (at, body) VALUES (?, ?)'));
  return perOpMicros(1, writes, () => db.write(() => insert.run(Date.now(), BODY)));
}
