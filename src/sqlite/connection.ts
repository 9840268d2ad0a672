import { statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { DblockError, descriptorShortageError } from '../errors.js';
import { outOfDescriptors } from '../util/descriptors.js';
import { trackConnection } from './open-files.js';

/** The better-sqlite3 connection that `write` and `read` callbacks receive. */
export type SqliteConnection = BetterSqlite3.Database;

/** A prepared statement that takes no parameters. */
export type SqliteStatement = BetterSqlite3.Statement<[], unknown>;

/** A connection plus what dblock needs to know about it. */
export interface Connection {
  readonly sqlite: SqliteConnection;
  /** Close the connection (idempotent). */
  close(): void;
}

/**
 * Open a better-sqlite3 connection and register its file (see open-files.ts).
 * @throws DblockError ENOTDB, ENOINPUT, EPERM for the usual SQLite open failures
 */
export function openConnection(path: string, options: { readonly: boolean; busyTimeoutMs: number }): Connection {
  let sqlite: SqliteConnection;
  try {
    sqlite = new BetterSqlite3(path, {
      readonly: options.readonly,
      fileMustExist: options.readonly,
      timeout: options.busyTimeoutMs,
    });
  } catch (err) {
    throw fromSqliteError(err, path);
  }
  let untrack: () => void = () => {};
  try {
    untrack = trackConnection(statSync(path));
  } catch {
    // Unlinked already: nobody can open that inode by name any more, so there is nothing to guard.
  }
  return {
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
      untrack();
    },
  };
}

/** Map a SQLite error met while opening or inspecting a database to a DblockError, else return it. */
export function fromSqliteError(err: unknown, path: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = (err as Error | undefined)?.message ?? String(err);
  switch (code) {
    case 'SQLITE_NOTADB':
      return new DblockError('ENOTDB', `not a SQLite database: ${path} (${message})`, { cause: err });
    case 'SQLITE_CANTOPEN':
    // better-sqlite3 loads its addon on the first open: out of descriptors, that reads as "not found".
    case 'MODULE_NOT_FOUND': {
      // Both hide the errno: out of descriptors is told apart by trying to open a few more.
      const shortage = outOfDescriptors();
      if (shortage !== undefined) return descriptorShortageError(shortage, `cannot open database ${path}`, err);
      if (code === 'MODULE_NOT_FOUND') return err as Error;
      return new DblockError('ENOINPUT', `cannot open database ${path}: ${message}`, { cause: err });
    }
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new DblockError('EPERM', `permission denied: ${path}: ${message}`, { cause: err });
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_RECOVERY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_BUSY_TIMEOUT':
      return new DblockError('ELOCKTIMEOUT', `${path} is locked by another SQLite connection (${code}): ${message}`, {
        cause: err,
      });
    case 'SQLITE_CORRUPT':
      return new DblockError('EINTEGRITY', `database disk image is malformed: ${path} (${message})`, { cause: err });
    default:
      return err instanceof Error ? err : new Error(message);
  }
}

/** True for SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY…). */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}
