import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { finished, ROOT, runDblock, startProcess } from '../helpers/processes.js';
import { sqlite3 } from '../helpers/sqlite-files.js';
import { runWriters } from '../helpers/sqlite-writers.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROWS =
  'CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER, UNIQUE (writer, seq))';

describe('many writer processes', () => {
  it.each(['serialized', 'wal'] as const)('8 processes in %s mode commit every row exactly once', async (concurrency) => {
    const path = join(tempDir(), 'app.db');
    const db = await openDatabase(path, { migrations: [ROWS] });
    await db.close();
    const results = await runWriters(8, { db: path, mode: concurrency, ops: 50 });
    for (const result of results) expect(result).toMatchObject({ ops: 50, errors: 0 });
    expect(sqlite3(path, "SELECT count(*), count(DISTINCT writer || '.' || seq) FROM rows")).toBe('400|400');
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
    expect(sqlite3(path, 'PRAGMA journal_mode')).toBe('wal');
  });

  it('4 shell loops × 4 sqlite3 inserts through dblock exec give 16 rows, integrity ok', async () => {
    const path = join(tempDir(), 'app.db');
    const init = await runDblock(['init', '--db', path, '--migrations', join(ROOT, 'fixtures', 'migrations-rows')]);
    expect(init.code).toBe(0);
    // sqlite3 has no busy timeout: without the lock, concurrent inserts fail with "database is locked".
    // Each holds its write transaction 0.1 s: with one lock file per loop, every run measured failed.
    const insert = `"BEGIN IMMEDIATE" "INSERT INTO rows (writer, seq) VALUES ($W, $i)" ".shell sleep 0.1" "COMMIT"`;
    const loop = `for i in $(seq 1 4); do node "$BIN" exec --db "$DB" -- sqlite3 "$DB" ${insert} || exit 1; done`;
    const shells = Array.from({ length: 4 }, (_, w) =>
      finished(
        startProcess('sh', ['-c', loop], {
          env: { ...process.env, BIN: join(ROOT, 'bin', 'dblock.js'), DB: path, W: String(w) },
        }),
      ),
    );
    for (const shell of await Promise.all(shells)) expect(shell).toMatchObject({ code: 0, stderr: '' });
    expect(sqlite3(path, "SELECT count(*), count(DISTINCT writer || '.' || seq) FROM rows")).toBe('16|16');
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
    expect(sqlite3(path, 'PRAGMA quick_check')).toBe('ok');
  }, 240_000); // 16 process starts: a minute on a loaded 2-core machine
});
