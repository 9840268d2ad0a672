import { readdirSync, statSync } from 'node:fs';
import { HOLDER_FILE } from '../backend/lock-dir-fs.js';
import { DblockError } from '../errors.js';
import type { LockOptions } from '../lock/acquire.js';
import { parseCliDuration, parseStale } from '../options.js';

/** The flags that name a lock target. */
export interface TargetFlags {
  db?: string;
  lock?: string;
  lockDir?: string;
  backend?: string;
  stale?: string;
  url?: string;
  lease?: string;
}

/** The target and the lock options it implies; undefined when neither --db nor --lock was given. */
export function targetFromFlags(flags: TargetFlags): { target: string; options: LockOptions } | undefined {
  if (flags.db !== undefined && flags.lock !== undefined) {
    throw new DblockError('EUSAGE', 'give either --db or --lock, not both');
  }
  const target = flags.db ?? flags.lock;
  if (target === undefined) return undefined;
  // A postgres lock is a name, not a file.
  if (flags.backend !== 'postgres') refuseDirectory(target, flags.lock !== undefined ? '--lock' : '--db');
  return {
    target,
    options: {
      exact: flags.lock !== undefined,
      lockDir: flags.lockDir,
      backend: flags.backend as LockOptions['backend'],
      stale: flags.stale === undefined ? undefined : parseStale(flags.stale, 'seconds'),
      url: flags.url,
      lease: parseCliDuration(flags.lease, 'lease'),
    },
  };
}

/** Like targetFromFlags, but a missing target is a usage error naming the command. */
export function requireTarget(flags: TargetFlags, command: string): { target: string; options: LockOptions } {
  const found = targetFromFlags(flags);
  if (found === undefined) throw new DblockError('EUSAGE', `${command} needs --db PATH or --lock PATH`);
  return found;
}

/** The flags of commands that work on a database only (`init`, `check`, `checkpoint`). */
export interface DatabaseFlags {
  db?: string;
  lockDir?: string;
  backend?: string;
}

/** The database path, or a usage error naming the command. */
export function requireDatabase(flags: DatabaseFlags, command: string): string {
  if (flags.db === undefined || flags.db === '') throw new DblockError('EUSAGE', `${command} needs --db PATH`);
  if (flags.backend === 'postgres') {
    throw new DblockError('EUSAGE', `${command} locks files beside the database: give --backend flock or mkdir, not postgres`);
  }
  refuseDirectory(flags.db, '--db');
  return flags.db;
}

/**
 * `--lock DIR` / `--db DIR`: a usage error, before any lock is tried. flock(1) can lock a directory,
 * but dblock writes its holder record into the lock file, and a directory at a lock path is how the
 * mkdir backend locks: a directory that looks like such a lock (its holder record alone inside)
 * is left to the backends, which report the mismatch.
 */
export function refuseDirectory(path: string, flag: '--lock' | '--db'): void {
  let entries: string[];
  try {
    if (!statSync(path).isDirectory()) return;
    entries = readdirSync(path);
  } catch {
    return; // missing, unreadable…: the lock or the database reports it
  }
  if (flag === '--lock' && entries.length === 1 && entries[0] === HOLDER_FILE) return;
  throw new DblockError(
    'EUSAGE',
    flag === '--lock'
      ? `cannot lock ${path}: it is a directory, and dblock locks a file (give one, e.g. inside it)`
      : `--db ${path} is a directory: give the database file`,
  );
}
