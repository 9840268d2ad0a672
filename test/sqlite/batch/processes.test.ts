import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/index.js';
import { finished, nextMessage, startFixture } from '../../helpers/processes.js';
import { sqlite3 } from '../../helpers/sqlite-files.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { INSERT, SCHEMA, track } from './helpers.js';

const ROWS = 'CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, UNIQUE (writer, seq))';

async function rowsDatabase(): Promise<string> {
  const path = join(tempDir(), 'app.db');
  await (await openDatabase(path, { migrations: [ROWS] })).close();
  return path;
}

describe('batchWriter across processes', () => {
  it('4 processes × 5000 items through writers give 20000 rows, integrity ok', async () => {
    const path = await rowsDatabase();
    const children = [0, 1, 2, 3].map((id) =>
      startFixture('batch-writer', [JSON.stringify({ db: path, id, items: 5000, bufferSize: 50, end: 'close' })]),
    );
    await Promise.all(children.map((child) => nextMessage(child, (m) => m.ready === true)));
    const done = children.map((child) => nextMessage(child, (m) => m.done === true));
    const exits = children.map((child) => finished(child));
    for (const child of children) child.send('go');
    await Promise.all(done);
    for (const exit of await Promise.all(exits)) expect(exit).toMatchObject({ code: 0, stderr: '' });
    expect(sqlite3(path, "SELECT count(*), count(DISTINCT writer || '.' || seq) FROM rows")).toBe('20000|20000');
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
  });

  it('flushes what is buffered when the event loop runs dry (beforeExit), and the timer keeps nobody alive', async () => {
    const path = await rowsDatabase();
    const config = { db: path, id: 1, items: 25, bufferSize: 10, flushIntervalMs: 600_000, end: 'run-dry' };
    const child = startFixture('batch-writer', [JSON.stringify(config)]);
    const exit = finished(child);
    expect(await nextMessage(child)).toEqual({ buffered: 25 });
    expect(await exit).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(sqlite3(path, 'SELECT count(*) FROM rows')).toBe('25');
  });

  it.each([
    ['an uncaught exception', 'serialized', 'throw', 1],
    ['process.exit(3)', 'serialized', 'exit', 3],
    ['process.exit(3)', 'wal', 'exit', 3],
  ] as const)('writes all 25 queued items synchronously on %s (concurrency %s)', async (_, concurrency, end, code) => {
    const path = await rowsDatabase();
    // Two full batches are sealed at once and one is left in the buffer; none has committed yet.
    const config = { db: path, id: 1, items: 25, bufferSize: 10, flushIntervalMs: 600_000, end, concurrency };
    const child = startFixture('batch-writer', [JSON.stringify(config)]);
    const exit = finished(child);
    expect(await nextMessage(child)).toEqual({ buffered: 25 });
    const result = await exit;
    expect(result).toMatchObject({ code, signal: null });
    expect(result.stderr).not.toMatch(/dblock:/);
    if (end === 'throw') expect(result.stderr).toMatch(/boom: uncaught/);
    expect(sqlite3(path, 'SELECT count(*), count(DISTINCT seq) FROM rows')).toBe('25|25');
  });

  it('writes the items waiting for room too, in write order, on process.exit()', async () => {
    const path = await rowsDatabase();
    // 20 items pending (two sealed batches), 230 waiting for room beyond capacity.
    const config = { db: path, id: 1, items: 250, bufferSize: 10, capacity: 20, flushIntervalMs: 600_000, end: 'exit' };
    const child = startFixture('batch-writer', [JSON.stringify(config)]);
    const exit = finished(child);
    expect(await nextMessage(child)).toEqual({ buffered: 20 });
    const result = await exit;
    expect(result).toMatchObject({ code: 3, signal: null });
    expect(result.stderr).not.toMatch(/dblock:/);
    const seqs = sqlite3(path, 'SELECT group_concat(seq) FROM (SELECT seq FROM rows ORDER BY rowid)');
    expect(seqs).toBe([...Array(250).keys()].join(','));
  });

  it('says on stderr how many items it lost when the lock stays held at process.exit()', async () => {
    const path = await rowsDatabase();
    const holder = startFixture('hold-lock', [path]);
    await nextMessage(holder, (m) => m.ready === true);
    const config = { db: path, id: 1, items: 25, bufferSize: 10, flushIntervalMs: 600_000, end: 'exit' };
    const child = startFixture('batch-writer', [JSON.stringify(config)]);
    const exit = finished(child);
    expect(await nextMessage(child)).toEqual({ buffered: 25 });
    const result = await exit;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^dblock: 25 batched writes lost at exit: .*app\.db\.lock stayed held/m);
    holder.send('release');
    expect(sqlite3(path, 'SELECT count(*) FROM rows')).toBe('0');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('flushes on %s, then dies of the signal as Node would', async (signal) => {
    const path = await rowsDatabase();
    const config = { db: path, id: 1, items: 5, flushIntervalMs: 600_000, end: 'signal' };
    const child = startFixture('batch-writer', [JSON.stringify(config)]);
    const exit = finished(child);
    expect(await nextMessage(child)).toEqual({ buffered: 5 });
    child.kill(signal);
    expect(await exit).toMatchObject({ code: null, signal, stderr: '' });
    expect(sqlite3(path, 'SELECT count(*) FROM rows')).toBe('5');
  });

  it('keeps the event loop running while a batch waits for a lock another process holds', async () => {
    const path = join(tempDir(), 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA] });
    const holder = startFixture('hold-lock', [path]);
    await nextMessage(holder, (m) => m.ready === true);
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 1 });
    const item = track(writer.write(['waited']));
    // Resolves only if timers keep firing while the batch waits.
    await new Promise<void>((resolve) => {
      let ticks = 0;
      const timer = setInterval(() => {
        if (++ticks === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    expect(item.state).toBe('pending');
    holder.send('release');
    await writer.flush();
    expect(item.state).toBe('resolved');
    await db.close();
  });
});
