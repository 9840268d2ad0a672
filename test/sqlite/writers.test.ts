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

  it('8 shell loops × 12 sqlite3 inserts through dblock exec give 96 rows, integrity ok', async () => {
    const path = join(tempDir(), 'app.db');
    const init = await runDblock(['init', '--db', path, '--migrations', join(ROOT, 'fixtures', 'migrations-rows')]);
    expect(init.code).toBe(0);
    // sqlite3 has no busy timeout: without the lock, concurrent inserts would fail with "database is locked".
    const loop = `for i in $(seq 1 12); do node "$BIN" exec --db "$DB" -- sqlite3 "$DB" "INSERT INTO rows (writer, seq) VALUES ($W, $i)" || exit 1; done`;
    const shells = Array.from({ length: 8 }, (_, w) =>
      finished(
        startProcess('sh', ['-c', loop], {
          env: { ...process.env, BIN: join(ROOT, 'bin', 'dblock.js'), DB: path, W: String(w) },
        }),
      ),
    );
    for (const shell of await Promise.all(shells)) expect(shell).toMatchObject({ code: 0, stderr: '' });
    expect(sqlite3(path, "SELECT count(*), count(DISTINCT writer || '.' || seq) FROM rows")).toBe('96|96');
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
    expect(sqlite3(path, 'PRAGMA quick_check')).toBe('ok');
  }, 240_000); // 96 process starts: minutes on a loaded 2-core machine
});
