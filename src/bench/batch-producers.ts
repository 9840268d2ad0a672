import { closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import fsExt from 'fs-ext';
import { openDatabase } from '../sqlite/open-database.js';

/** The producer benchmark's table: small events, a 100-byte text each, unique per writer. */
export const EV_SCHEMA = 'CREATE TABLE ev (w INT, i INT, body TEXT, UNIQUE(w, i))';
const INSERT = 'INSERT INTO ev (w, i, body) VALUES (?, ?, ?)';

/**
 * How the rows reach the database: the raw floor, or a batch writer fed by one of the two producer
 * patterns (`fire`: every write at once, then `Promise.all`; `ready`: `await writer.ready`
 * before each write, then `flush()`).
 */
export type Producer = 'floor' | 'fire' | 'ready';

/** One run: the producer, its batch size (rows per transaction) and the writer's capacity. */
export interface ProducerRun {
  producer: Producer;
  bufferSize: number;
  capacity: number;
}

/** Rows `[w, i, body]` for writer `w`, made before the clock starts. */
export function makeEvRows(w: number, count: number): unknown[][] {
  const body = 'x'.repeat(100);
  return Array.from({ length: count }, (_, i) => [w, i, body]);
}

/** Create `path` with the `ev` table (WAL, dblock's defaults). */
export async function createEvDatabase(path: string): Promise<void> {
  await (await openDatabase(path, { migrations: [EV_SCHEMA] })).close();
}

/**
 * A producer ready to go: `start()` writes every row and resolves with the milliseconds taken (set-up,
 * opening and preparing are outside the clock). `close()` frees the connection afterwards.
 */
export interface PreparedRun {
  start(): Promise<number>;
  close(): Promise<void>;
}

/** Prepare `run` on an existing `ev` database for `rows`. */
export async function prepareRun(path: string, run: ProducerRun, rows: unknown[][]): Promise<PreparedRun> {
  return run.producer === 'floor' ? prepareFloor(path, run.bufferSize, rows) : prepareWriter(path, run, rows);
}

/**
 * The raw floor: better-sqlite3, `flockSync` on the sidecar + `BEGIN IMMEDIATE` + K prepared inserts
 * + `COMMIT` + unlock, in a blocking loop (synchronous NORMAL, as dblock sets in WAL mode).
 */
function prepareFloor(path: string, k: number, rows: unknown[][]): PreparedRun {
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('synchronous = NORMAL');
  const insert = sqlite.prepare(INSERT);
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const fd = openSync(`${path}.lock`, 'a');
  return {
    start: async () => {
      const t0 = performance.now();
      for (let done = 0; done < rows.length; done += k) {
        fsExt.flockSync(fd, 'ex');
        begin.run();
        const end = Math.min(done + k, rows.length);
        for (let j = done; j < end; j++) insert.run(rows[j]);
        commit.run();
        fsExt.flockSync(fd, 'un');
      }
      return performance.now() - t0;
    },
    close: async () => {
      sqlite.close();
      closeSync(fd);
    },
  };
}

async function prepareWriter(path: string, run: ProducerRun, rows: unknown[][]): Promise<PreparedRun> {
  const db = await openDatabase(path);
  const writer = db.batchWriter<unknown[]>({ statement: INSERT, bufferSize: run.bufferSize, capacity: run.capacity });
  const produce = run.producer === 'fire' ? fireAll : awaitReady;
  return {
    start: async () => {
      const t0 = performance.now();
      await produce(writer, rows);
      return performance.now() - t0;
    },
    close: async () => {
      await writer.close();
      await db.close();
    },
  };
}

interface Writer {
  write(row: unknown[]): Promise<void>;
  readonly ready: Promise<void>;
  flush(): Promise<void>;
}

/** The first thing every producer writes: fire every write, then wait for them all. */
async function fireAll(writer: Writer, rows: unknown[][]): Promise<void> {
  const settled: Promise<void>[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) settled[i] = writer.write(rows[i] as unknown[]);
  await Promise.all(settled);
}

/** Backpressure by the book: `await writer.ready` before each write, then `flush()`. */
async function awaitReady(writer: Writer, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i++) {
    await writer.ready;
    writer.write(rows[i] as unknown[]).catch(rethrowLater);
  }
  await writer.flush();
}

// A write the bench loses is a bug: fail loudly, not as an unhandled rejection buried in timing.
function rethrowLater(err: unknown): void {
  setImmediate(() => {
    throw err;
  });
}
