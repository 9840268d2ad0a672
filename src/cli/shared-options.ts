import type { BackendName } from '../backend/types.js';
import { BACKEND_NAMES, DEFAULTS, formatDefaultDuration } from '../defaults.js';
import { describeChoices, type OptionSpec } from './option-spec.js';

/** The backends a database command (`init`, `check`, `checkpoint`) works with: lock files, no server. */
export const FILE_BACKENDS = BACKEND_NAMES.filter((name) => name !== 'postgres');

/** Flags every command takes, before or after its name. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { flags: '--json', description: 'machine-readable output on stdout (errors too)' },
  { flags: '-q, --quiet', description: 'print nothing but errors' },
  { flags: '--debug', description: 'print stack traces (also DBLOCK_DEBUG=1)' },
];

/** `-v`, only on the commands that take a lock (elsewhere it would say nothing). */
export const VERBOSE: OptionSpec = { flags: '-v, --verbose', description: 'say how long the lock took and who held it' };

/** Every option a command takes: its own, `-v` if it takes a lock, then the global ones (commander and the exec fast path). */
export function commandOptions(own: readonly OptionSpec[], takesLock: boolean): OptionSpec[] {
  return [...own, ...(takesLock ? [VERBOSE] : []), ...GLOBAL_OPTIONS];
}

/** `-w, --timeout`: what the command waits for, then the shared syntax and default. */
export function timeoutOption(waitsFor: string): OptionSpec {
  return {
    flags: '-w, --timeout <duration>',
    description: `how long to wait ${waitsFor}: 5s, 250ms, 2m, 0 = try once, inf; exit 75 then`,
    defaultText: `${formatDefaultDuration(DEFAULTS.timeoutMs)} or DBLOCK_TIMEOUT`,
  };
}

export const LOCK_DIR: OptionSpec = {
  flags: '--lock-dir <dir>',
  description: 'keep sidecars in DIR (for databases in read-only directories)',
};

const BACKEND_HELP: Record<BackendName, string> = {
  flock: 'kernel lock, local filesystems',
  mkdir: 'portable: NFS, SMB',
  postgres: 'several machines',
};

/** `--backend` of a command that names its lock: every backend. */
export const BACKEND: OptionSpec = {
  flags: '--backend <name>',
  description: `lock backend: ${describeChoices(BACKEND_NAMES, BACKEND_HELP)}`,
  defaultText: DEFAULTS.backend,
};

/** `--backend` of a database command: the lock-file backends. */
export const FILE_BACKEND: OptionSpec = {
  flags: '--backend <name>',
  description: `lock backend of the sidecars: ${describeChoices(FILE_BACKENDS, BACKEND_HELP)}`,
  defaultText: DEFAULTS.backend,
};

export const URL: OptionSpec = {
  flags: '--url <url>',
  description: 'postgres backend: server URL',
  defaultText: '$DBLOCK_POSTGRES_URL, else the PG* variables',
};

/** `--db | --lock`, `--lock-dir`, `--backend`, `--stale`, `--url`, `--lease`: the flags naming a lock. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  { flags: '--db <path>', description: 'the database (or file) to protect; the lock is <path>.lock' },
  { flags: '--lock <path>', description: 'use this exact file as the lock, like flock FILE (not a directory)' },
  LOCK_DIR,
  BACKEND,
  {
    flags: '--stale <duration>',
    description: 'mkdir backend: take over a lock whose heartbeat stopped this long ago (min 2s)',
    defaultText: formatDefaultDuration(DEFAULTS.staleMs),
  },
  URL,
  {
    flags: '--lease <duration>',
    description: 'postgres backend: the lock counts as lost this long after the last answered heartbeat',
    defaultText: formatDefaultDuration(DEFAULTS.leaseMs),
  },
];

/** `--db`, `--lock-dir`, `--backend` of the commands that work on a database only (no `--lock`). */
export const DATABASE_OPTIONS: readonly OptionSpec[] = [
  { flags: '--db <path>', description: 'the SQLite database' },
  LOCK_DIR,
  FILE_BACKEND,
];

/** `--registry`: where write intents live. */
export const REGISTRY: OptionSpec = {
  flags: '--registry <path|url>',
  description: 'the write-intent registry: a SQLite file or postgres://… (with --scope)',
  defaultText: '$DBLOCK_HOME/intents.db',
};

/** `--registry` and `--scope`: a registry that may be shared across machines. */
export const REGISTRY_OPTIONS: readonly OptionSpec[] = [
  REGISTRY,
  {
    flags: '--scope <name>',
    description: 'with a postgres registry: the shared root the paths are relative to (e.g. the repository URL)',
  },
];

/** `--report FILE` of stress and bench: what the HTML report shows. */
export function reportOption(what: string): OptionSpec {
  return { flags: '--report <file>', description: `also write a self-contained HTML report: ${what}` };
}
