import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { DblockError, fromSystemError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { isDirectory, pathExists } from '../util/fs-probe.js';

/** File name of the registry database inside `DBLOCK_HOME`. */
export const REGISTRY_FILE = 'intents.db';
/** Suffix of the directory beside the registry that holds one liveness file per task. */
export const LIVE_DIR_SUFFIX = '.live';

/** Where a registry lives: its database and the directory of its tasks' liveness files. */
export interface RegistryLocation {
  /** Canonical path of the registry database. */
  readonly path: string;
  /** `<path>.live`: one locked file per in-flight task. */
  readonly liveDir: string;
}

/**
 * `DBLOCK_HOME`, else `$XDG_STATE_HOME/dblock`, else `~/.local/state/dblock` (XDG: state that
 * should survive a restart but is not worth backing up — exactly what in-flight intents are).
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBLOCK_HOME) return env.DBLOCK_HOME;
  const state = env.XDG_STATE_HOME;
  // The XDG spec says to ignore a relative value.
  const base = state && isAbsolute(state) ? state : join(homedir(), '.local', 'state');
  return join(base, 'dblock');
}

/**
 * Resolve the registry (`registry` option, else `<home>/intents.db`). With `create`, make sure
 * its directories exist: the home is created with mode 0700, since it names every task's command
 * line. Without it nothing is created (commands that only read a registry must not make one).
 * @throws DblockError EPERM for a home or directory that cannot be created or written, EBADTARGET
 */
export function locateRegistry(
  registry: string | undefined,
  create: boolean,
  env: NodeJS.ProcessEnv = process.env,
): RegistryLocation {
  let file: string;
  if (registry !== undefined) {
    if (registry.trim() === '') throw new DblockError('EUSAGE', 'Expected `registry` to be a file path, got an empty string');
    file = canonicalizeTarget(registry);
  } else {
    const home = defaultHome(env);
    if (create) makeDir(home, 'DBLOCK_HOME', true, 0o700);
    else if (!pathExists(home)) return { path: join(home, REGISTRY_FILE), liveDir: join(home, REGISTRY_FILE + LIVE_DIR_SUFFIX) };
    file = join(canonicalizeTarget(home), REGISTRY_FILE);
  }
  if (isDirectory(file)) throw new DblockError('EBADTARGET', `registry ${file} is a directory; give the database file`);
  const liveDir = file + LIVE_DIR_SUFFIX;
  // A registry named explicitly may be shared by a group (like sidecars: 0777 & ~umask); the
  // default one is private to its user, like its home.
  if (create) makeDir(liveDir, 'registry directory', false, registry === undefined ? 0o700 : 0o777);
  return { path: file, liveDir };
}

function makeDir(dir: string, what: string, recursive: boolean, mode: number): void {
  try {
    mkdirSync(dir, { recursive, mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw dirError(err, dir, what);
  }
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw dirError(err, dir, what);
  }
  if (!isDir) throw new DblockError('EBADTARGET', `${what} ${dir} is not a directory`);
  try {
    // SQLite must create the registry's -wal and -shm files here, and tasks their liveness files.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw dirError(err, dir, what);
  }
}

function dirError(err: unknown, dir: string, what: string): DblockError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DblockError('EPERM', `${what} ${dir} is not writable (set DBLOCK_HOME or --registry to a writable place)`, {
      cause: err,
    });
  }
  if (code === 'ENOTDIR') return new DblockError('EBADTARGET', `${what} ${dir}: a parent is not a directory`, { cause: err });
  return fromSystemError(err, `${what} ${dir}`, 'EBADTARGET');
}
