import type { Command } from 'commander';
import { DblockError } from '../errors.js';
import type { LockOptions } from '../lock/acquire.js';
import { parseCliDuration, parseStale } from '../options.js';
import { addOptions, type OptionSpec } from './option-spec.js';

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

/** `--db | --lock`, `--lock-dir`, `--backend` and `--stale`. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  { flags: '--db <path>', description: 'the database (or file) to protect; the lock is <path>.lock' },
  { flags: '--lock <path>', description: 'use this exact file as the lock, like flock FILE' },
  { flags: '--lock-dir <dir>', description: 'keep sidecars in DIR (for databases in read-only directories)' },
  {
    flags: '--backend <name>',
    description:
      'lock backend: flock (kernel lock, local filesystems), mkdir (portable: NFS, SMB) or postgres (several machines)',
    defaultValue: 'flock',
  },
  {
    flags: '--stale <duration>',
    description: 'mkdir backend: take over a lock whose heartbeat stopped this long ago (min 2s; default 10s)',
  },
  {
    flags: '--url <url>',
    description: 'postgres backend: server URL (default $DBLOCK_POSTGRES_URL, else the PG* variables)',
  },
  {
    flags: '--lease <duration>',
    description: 'postgres backend: the lock counts as lost this long after the last answered heartbeat (default 10s)',
  },
];

/** Add the target options to a command. */
export function addTargetOptions(command: Command): Command {
  return addOptions(command, TARGET_OPTIONS);
}

/** The target and the lock options it implies; undefined when neither --db nor --lock was given. */
export function targetFromFlags(flags: TargetFlags): { target: string; options: LockOptions } | undefined {
  if (flags.db !== undefined && flags.lock !== undefined) {
    throw new DblockError('EUSAGE', 'give either --db or --lock, not both');
  }
  const target = flags.db ?? flags.lock;
  if (target === undefined) return undefined;
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

/** Add `--db`, `--lock-dir` and `--backend` (no `--lock`: these commands need a database). */
export function addDatabaseOptions(command: Command): Command {
  return command
    .option('--db <path>', 'the SQLite database')
    .option('--lock-dir <dir>', 'keep sidecars in DIR (for databases in read-only directories)')
    .option('--backend <name>', 'lock backend: flock', 'flock');
}

/** The database path, or a usage error naming the command. */
export function requireDatabase(flags: DatabaseFlags, command: string): string {
  if (flags.db === undefined || flags.db === '') throw new DblockError('EUSAGE', `${command} needs --db PATH`);
  return flags.db;
}
