import { basename, dirname, isAbsolute, join } from 'node:path';
import { DblockError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { isDirectory, pathExists } from '../util/fs-probe.js';

/** One declared write target, canonical. */
export interface IntentPath {
  /** The canonical path (no trailing slash, except for `/`). */
  readonly path: string;
  /** A directory covers everything below it. */
  readonly dir: boolean;
}

/**
 * Canonicalize declared paths with the lock engine's rules (symlinks, `..`, relative spellings).
 * A trailing `/` or an existing directory makes a directory entry. Duplicates are dropped.
 * @throws DblockError EUSAGE for an empty list or an empty path; EBADTARGET for a missing parent
 * @example canonicalizeIntentPaths(['data/', './a.json']) // [{ path: '/srv/data', dir: true }, { path: '/srv/a.json', dir: false }]
 */
export function canonicalizeIntentPaths(paths: readonly string[], cwd: string = process.cwd()): IntentPath[] {
  if (paths.length === 0) throw new DblockError('EUSAGE', 'Expected at least one path to write (--writes PATH)');
  const out = new Map<string, IntentPath>();
  for (const given of paths) {
    if (typeof given !== 'string' || given.trim() === '') {
      throw new DblockError('EUSAGE', `Expected \`writes\` to be a path, got \`${String(given)}\``);
    }
    const slash = given.length > 1 && given.endsWith('/');
    const path = canonicalizeIntentPath(slash ? given.replace(/\/+$/, '') || '/' : given, cwd);
    const dir = slash || path === '/' || isDirectory(path);
    const previous = out.get(path);
    if (previous === undefined || (dir && !previous.dir)) out.set(path, { path, dir });
  }
  return [...out.values()];
}

/**
 * The lock engine's canonical path; when parents are missing too (a task may declare a file it will
 * create in a directory it will create), the nearest existing ancestor's canonical path plus the
 * rest, normalized lexically (nothing there exists yet, so no symlink can change its meaning).
 */
function canonicalizeIntentPath(given: string, cwd: string): string {
  try {
    return canonicalizeTarget(given, cwd);
  } catch (err) {
    if (!(err instanceof DblockError) || err.code !== 'EBADTARGET' || !missing(err)) throw err;
  }
  // Not resolve(): `link/..` in the existing part must follow the symlink, as the kernel would.
  const absolute = isAbsolute(given) ? given : `${cwd}/${given}`;
  const rest: string[] = [];
  let ancestor = absolute;
  while (!pathExists(ancestor)) {
    rest.unshift(basename(ancestor));
    ancestor = dirname(ancestor);
  }
  return join(canonicalizeTarget(ancestor, cwd), ...rest);
}

function missing(err: DblockError): boolean {
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT';
}

/** `path` with exactly one trailing slash, so that prefix tests respect component boundaries. */
function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * Whether two declared paths can touch the same file: equal, or one is a directory above the other.
 * `/srv/data/` covers `/srv/data/a.json`, never `/srv/database`.
 */
export function pathsOverlap(a: IntentPath, b: IntentPath): boolean {
  const sa = withSlash(a.path);
  const sb = withSlash(b.path);
  return sa === sb || (a.dir && sb.startsWith(sa)) || (b.dir && sa.startsWith(sb));
}

/** The first pair (mine, theirs) that overlaps, if any. */
export function firstOverlap(
  mine: readonly IntentPath[],
  theirs: readonly IntentPath[],
): { path: IntentPath; other: IntentPath } | undefined {
  for (const path of mine) {
    for (const other of theirs) if (pathsOverlap(path, other)) return { path, other };
  }
  return undefined;
}

/** How a path is shown: directories end in `/`. */
export function showPath(p: IntentPath): string {
  return p.dir && p.path !== '/' ? `${p.path}/` : p.path;
}
