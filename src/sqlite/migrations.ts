import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DblockError, fromSystemError } from '../errors.js';
import { assertNoTransactionControl } from './migration-guard.js';

/** One schema migration: applied when `PRAGMA user_version` is below `version`. */
export interface Migration {
  readonly version: number;
  /** For messages: the file name, or `migration N`. */
  readonly name: string;
  readonly sql: string;
}

const NUMBERED = /^(\d+)[^\d].*\.sql$|^(\d+)\.sql$/i;

/**
 * Normalise the `migrations` option: SQL strings are versions 1…N in order; a directory holds
 * numbered `.sql` files whose number is the version. Sorted by version, versions unique.
 * @throws DblockError EUSAGE for an unnumbered `.sql` file or a duplicate version, ENOINPUT for a missing directory,
 * EMIGRATION for a migration that controls transactions itself (BEGIN/COMMIT/END/ROLLBACK, VACUUM, journal_mode)
 * @example loadMigrations('./migrations') // [{ version: 1, name: '001_init.sql', sql: '…' }, …]
 */
export function loadMigrations(migrations: readonly string[] | string): Migration[] {
  const loaded = typeof migrations === 'string' ? loadDirectory(migrations) : fromStrings(migrations);
  // All of them, before anything is opened: a refused set leaves the database exactly as it was.
  for (const migration of loaded) assertNoTransactionControl(migration.name, migration.sql);
  return loaded;
}

function fromStrings(migrations: readonly string[]): Migration[] {
  return migrations.map((sql, i) => ({ version: i + 1, name: `migration ${i + 1}`, sql }));
}

function loadDirectory(migrations: string): Migration[] {
  let names: string[];
  try {
    names = readdirSync(migrations).filter((name) => name.toLowerCase().endsWith('.sql'));
  } catch (err) {
    throw fromSystemError(err, `migrations directory ${migrations}`, 'ENOINPUT');
  }
  const out: Migration[] = [];
  const seen = new Map<number, string>();
  for (const name of names) {
    const match = NUMBERED.exec(name);
    const digits = match?.[1] ?? match?.[2];
    const version = digits === undefined ? 0 : Number(digits);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new DblockError(
        'EUSAGE',
        `Expected migration files named like 001_name.sql (version ≥ 1), got \`${name}\` in ${migrations}`,
      );
    }
    const other = seen.get(version);
    if (other !== undefined) {
      throw new DblockError('EUSAGE', `two migrations have version ${version}: ${other} and ${name} in ${migrations}`);
    }
    seen.set(version, name);
    out.push({ version, name, sql: readSql(join(migrations, name)) });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Read one SQL file (a schema or a migration). */
export function readSql(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fromSystemError(err, path, 'ENOINPUT');
  }
}
