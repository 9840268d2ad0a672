import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { assertNoTransactionControl } from '../../src/sqlite/migration-guard.js';
import { splitStatements } from '../../src/sqlite/sql-statements.js';
import { codeOf } from '../helpers/error-code.js';
import { companions, sqlite3 } from '../helpers/sqlite-files.js';
import { tempDir } from '../helpers/temp-dir.js';

const firstWords = (sql: string): string[] => splitStatements(sql).map((s) => s.words[0] ?? '');

describe('splitStatements (sqlite3_complete rules)', () => {
  it('splits only where SQLite would: not in literals, quoted names, comments or trigger bodies', () => {
    const sql = [
      "INSERT INTO t VALUES ('COMMIT; it''s; ROLLBACK');",
      '-- a comment; COMMIT;',
      '/* COMMIT; END; */ CREATE TABLE "x;y" ([a;b], `c;d`);',
      'CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN',
      '  UPDATE t SET v = CASE WHEN 1 THEN 2 END; DELETE FROM t WHERE 0;',
      'END;',
      'EXPLAIN COMMIT;',
      'SELECT 1',
    ].join('\n');
    expect(firstWords(sql)).toEqual(['INSERT', 'CREATE', 'CREATE', 'EXPLAIN', 'SELECT']);
  });
});

describe('migrations that control transactions', () => {
  const refused = [
    'CREATE TABLE a (x);\nCOMMIT;\nINSERT INTO a VALUES (1);',
    'BEGIN;\nCREATE TABLE a (x);\nCOMMIT;',
    'CREATE TABLE a (x); end transaction;',
    'CREATE TABLE a (x); ROLLBACK;',
    'VACUUM;',
    'PRAGMA main.journal_mode = delete;',
    'PRAGMA "journal_mode"(wal);',
  ];
  it.each(refused)('refuses %j with EMIGRATION', (sql) => {
    let err: unknown;
    try {
      assertNoTransactionControl('001_a.sql', sql);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EMIGRATION', exitCode: 65 });
    expect((err as Error).message).toContain('001_a.sql line');
  });

  const allowed = [
    "CREATE TABLE a (x); INSERT INTO a VALUES ('BEGIN; COMMIT;'); -- COMMIT;",
    'SAVEPOINT s; CREATE TABLE a (x); ROLLBACK TRANSACTION TO SAVEPOINT s; RELEASE s;',
    'CREATE TABLE a (x); CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT 1; END; PRAGMA journal_mode;',
  ];
  it.each(allowed)('accepts %j', (sql) => {
    expect(() => assertNoTransactionControl('m', sql)).not.toThrow();
  });

  it('refuses the whole set before opening anything, then applies the fixed one exactly once', async () => {
    const path = join(tempDir(), 'app.db');
    const bad = ['CREATE TABLE a (x)', 'INSERT INTO a VALUES (1);\nCOMMIT;\nINSERT INTO a VALUES (2);'];
    expect(await codeOf(openDatabase(path, { migrations: bad }))).toBe('EMIGRATION');
    // Not even created: nothing of either migration ran.
    expect(existsSync(path)).toBe(false);
    expect(companions(path)).toEqual([]);
    expect(sqlite3(path, 'PRAGMA user_version')).toBe('0');
    const fixed = ['CREATE TABLE a (x)', 'INSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);'];
    await (await openDatabase(path, { migrations: fixed })).close();
    await (await openDatabase(path, { migrations: fixed })).close();
    expect(sqlite3(path, 'SELECT group_concat(x) FROM a; PRAGMA user_version')).toBe('1,2\n2');
  });
});
