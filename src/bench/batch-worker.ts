import { openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import fsExt from 'fs-ext';
import { openDatabase } from '../sqlite/open-database.js';
import { makeRows } from './batch-strategies.js';

/** A writer process forked by batch-contention: argv DB STRATEGY K DURATION_MS. Reports {rows, ms}. */
type Strategy = 'sync' | 'single' | 'batched';
const [path, strategy, k, durationMs] = process.argv.slice(2) as [string, Strategy, string, string];
const K = Number(k);
const INSERT = 'INSERT INTO turns (run, turn, at, body) VALUES (?, ?, ?, ?)';
const rows = makeRows(10_000);

async function makeLoop(): Promise<(stop: number) => Promise<number>> {
  if (strategy === 'sync') {
    const sqlite = new BetterSqlite3(path);
    sqlite.pragma('synchronous = NORMAL');
    const insert = sqlite.prepare(INSERT);
    const begin = sqlite.prepare('BEGIN IMMEDIATE');
    const commit = sqlite.prepare('COMMIT');
    const fd = openSync(`${path}.lock`, 'a');
    return async (stop) => {
      let done = 0;
      while (performance.now() < stop) {
        fsExt.flockSync(fd, 'ex'); // blocking in the main thread: the raw floor
        begin.run();
        for (let j = 0; j < K; j++) insert.run(rows[(done + j) % rows.length]);
        commit.run();
        fsExt.flockSync(fd, 'un');
        done += K;
      }
      return done;
    };
  }
  const db = await openDatabase(path);
  const insert = await db.read((sqlite) => sqlite.prepare(INSERT));
  if (strategy === 'single') {
    return async (stop) => {
      let done = 0;
      for (; performance.now() < stop; done++) {
        const row = rows[done % rows.length];
        await db.write(() => insert.run(row));
      }
      return done;
    };
  }
  const writer = db.batchWriter({ statement: INSERT, bufferSize: K });
  return async (stop) => {
    let done = 0;
    while (performance.now() < stop) {
      for (let j = 0; j < K; j++, done++) {
        if (writer.pending >= writer.capacity) await writer.ready;
        void writer.write(rows[done % rows.length] as unknown[]);
      }
    }
    await writer.close();
    return done;
  };
}

const loop = await makeLoop();
process.send?.({ ready: true });
process.once('message', async () => {
  const start = performance.now();
  const done = await loop(start + Number(durationMs));
  process.send?.({ rows: done, ms: performance.now() - start }, () => process.exit(0));
});
