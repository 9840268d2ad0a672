import { closeSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { DblockError, fromSystemError } from '../errors.js';
import { hasConnection } from './open-files.js';

/** The 16 bytes every SQLite 3 database starts with. */
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

/** What the first 100 bytes of a database file say, read before any connection to it exists. */
export interface HeaderInfo {
  /** `missing`/`empty` are fine (SQLite creates the database); `not-sqlite` must be refused. */
  readonly state: 'missing' | 'empty' | 'sqlite' | 'not-sqlite';
  /** File length from stat, in bytes (0 when missing). */
  readonly fileBytes: number;
  /** Page size from the header, when it is SQLite. */
  readonly pageSize?: number | undefined;
  /** Header bytes 18–19 are 2 in WAL mode (undefined when not known). */
  readonly wal?: boolean | undefined;
  /** The in-header database size in pages, when the header says it is valid (rollback-journal modes). */
  readonly pageCount?: number | undefined;
  /** Device and inode of the file, to notice when it is replaced. */
  readonly stats?: Stats | undefined;
}

/**
 * Read the header of `path` with `fs`. Only safe while this process has no connection to the
 * file: a file it is already connected to is known to be SQLite and is never opened here.
 * @throws DblockError EBADTARGET for a directory or other non-file, EPERM/ENOINPUT from the OS
 */
export function readHeader(path: string): HeaderInfo {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', fileBytes: 0 };
    throw fromSystemError(err, path, 'EBADTARGET');
  }
  if (!stats.isFile()) throw new DblockError('EBADTARGET', `not a regular file: ${path}`);
  if (stats.size === 0) return { state: 'empty', fileBytes: 0, stats };
  // Opening and closing it would drop this process's SQLite locks on it (see open-files.ts).
  if (hasConnection(stats)) return { state: 'sqlite', fileBytes: stats.size, stats };
  const head = readFirstBytes(path);
  return parseHeader(head, stats);
}

/** Interpret the first bytes of a file (pure; exported for `check`). */
export function parseHeader(head: Buffer, stats: Stats): HeaderInfo {
  if (head.length < HEADER_BYTES || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { state: 'not-sqlite', fileBytes: stats.size, stats };
  }
  const raw = head.readUInt16BE(16);
  // 1 encodes 65536; anything else must be a power of two from 512.
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return { state: 'not-sqlite', fileBytes: stats.size, stats };
  // The in-header size is valid only when the change counter (24) matches version-valid-for (92).
  const pages = head.readUInt32BE(28);
  const pageCount = pages > 0 && head.readUInt32BE(24) === head.readUInt32BE(92) ? pages : undefined;
  return { state: 'sqlite', fileBytes: stats.size, pageSize, wal: head[18] === 2 && head[19] === 2, pageCount, stats };
}

/** Refuse a file that is not SQLite (ENOTDB), leaving it exactly as it was. */
export function assertSqliteHeader(path: string, header: HeaderInfo): void {
  if (header.state === 'not-sqlite') {
    throw new DblockError('ENOTDB', `not a SQLite database: ${path} (the header does not say "SQLite format 3"); left unchanged`);
  }
}

function readFirstBytes(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fromSystemError(err, path, 'EBADTARGET');
  }
  try {
    const buf = Buffer.alloc(HEADER_BYTES);
    const n = readSync(fd, buf, 0, HEADER_BYTES, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
