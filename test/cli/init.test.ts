import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDblock } from '../helpers/processes.js';
import { companions, snapshotDir, sqlite3 } from '../helpers/sqlite-files.js';
import { tempDir } from '../helpers/temp-dir.js';

interface InitJson {
  applied: string[];
  userVersion: number;
  journalMode: string;
}

/** Run `dblock init --json ARGS` in `n` processes at once; every one must succeed. */
async function initConcurrently(n: number, args: string[]): Promise<InitJson[]> {
  const runs = await Promise.all(Array.from({ length: n }, () => runDblock(['init', '--json', ...args])));
  for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
  return runs.map((run) => JSON.parse(run.stdout) as InitJson);
}

describe('dblock init', () => {
  it('8 concurrent inits with one schema apply it once and leave a WAL database', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const schema = join(dir, 'schema.sql');
    // Not idempotent on purpose: a second application would fail or add a second row.
    writeFileSync(
      schema,
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE log (what TEXT);\nINSERT INTO log VALUES ('schema');\n",
    );
    const reports = await initConcurrently(8, ['--db', path, '--schema', schema]);
    expect(reports.flatMap((r) => r.applied)).toHaveLength(1);
    for (const report of reports) expect(report).toMatchObject({ userVersion: 1, journalMode: 'wal' });
    expect(sqlite3(path, 'SELECT count(*) FROM log; PRAGMA user_version; PRAGMA journal_mode; PRAGMA integrity_check')).toBe(
      '1\n1\nwal\nok',
    );
  });

  it('6 concurrent inits with two migrations apply each exactly once, user_version 2', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const migrations = join(tempDir(), 'migrations');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '001_create.sql'), "CREATE TABLE applied (name TEXT);\nINSERT INTO applied VALUES ('001');\n");
    writeFileSync(
      join(migrations, '002_more.sql'),
      "INSERT INTO applied VALUES ('002');\nCREATE TABLE jobs (id INTEGER PRIMARY KEY);\n",
    );
    writeFileSync(join(migrations, 'README.txt'), 'not a migration');
    const reports = await initConcurrently(6, ['--db', path, '--migrations', migrations]);
    expect(reports.flatMap((r) => r.applied).sort()).toEqual(['001_create.sql', '002_more.sql']);
    for (const report of reports) expect(report.userVersion).toBe(2);
    expect(sqlite3(path, 'SELECT group_concat(name) FROM applied; PRAGMA user_version')).toBe('001,002\n2');
  });

  it('refuses a migration containing COMMIT (exit 65, naming the file), changes nothing, applies the fixed file once', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const migrations = join(tempDir(), 'migrations');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '001_create.sql'), 'CREATE TABLE items (n INTEGER);\n');
    expect((await runDblock(['init', '--db', path, '--migrations', migrations])).code).toBe(0);
    const bad = "INSERT INTO items VALUES (1);\nCOMMIT; -- 'finish'\nINSERT INTO items VALUES (2);\nSELECT no_such_function();\n";
    writeFileSync(join(migrations, '002_more.sql'), bad);
    const before = snapshotDir(dir);
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = await runDblock(['init', '--db', path, '--migrations', migrations]);
      expect(run.code).toBe(65);
      expect(run.stderr).toMatch(/^dblock: migration 002_more\.sql line 2: COMMIT/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(snapshotDir(dir)).toEqual(before);
    }
    writeFileSync(join(migrations, '002_more.sql'), 'INSERT INTO items VALUES (1);\nINSERT INTO items VALUES (2);\n');
    const [first, second] = [
      await initConcurrently(1, ['--db', path, '--migrations', migrations]),
      await initConcurrently(1, ['--db', path, '--migrations', migrations]),
    ];
    expect([first[0]?.applied, second[0]?.applied]).toEqual([['002_more.sql'], []]);
    expect(sqlite3(path, 'SELECT group_concat(n) FROM items; PRAGMA user_version')).toBe('1,2\n2');
  });

  it('refuses a text file with exit 65 and leaves it unchanged', async () => {
    const path = join(tempDir(), 'notes.db');
    writeFileSync(path, 'hello, I am a text file that happens to end in .db\n');
    const before = readFileSync(path);
    const run = await runDblock(['init', '--db', path]);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(/^dblock: not a SQLite database: .*notes\.db/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(companions(path)).toEqual([]);
  });

  it('answers bad input with one line and the right exit code', async () => {
    const dir = tempDir();
    const cases: [string[], number][] = [
      [['init'], 64],
      [['init', '--db', join(dir, 'a.db'), '--journal', 'memory'], 64],
      [['init', '--db', join(dir, 'a.db'), '--schema', join(dir, 'missing.sql')], 66],
      [['init', '--db', join(dir, 'a.db'), '--schema', 'x.sql', '--migrations', dir], 64],
      [['init', '--db', join(dir, 'no', 'such', 'dir', 'a.db')], 66],
      [['check', '--db', join(dir, 'missing.db')], 66],
      [['checkpoint', '--db', join(dir, 'missing.db')], 66],
      [['checkpoint', '--db', join(dir, 'a.db'), '--mode', 'full'], 64],
    ];
    for (const [args, code] of cases) {
      const run = await runDblock(args);
      expect({ args, code: run.code, lines: run.stderr.trim().split('\n').length }).toEqual({ args, code, lines: 1 });
    }
  });
});
