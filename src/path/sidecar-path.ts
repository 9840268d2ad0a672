import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { DblockError } from '../errors.js';
import { canonicalizeTarget } from './canonicalize.js';

/** Which sidecar of a target: `.lock` guards writes, `.init.lock` guards first-connect initialisation. */
export type SidecarKind = 'lock' | 'init';

export interface LockTarget {
  /** The target as the caller spelled it (for messages). */
  readonly given: string;
  /** The canonical path of the protected file. */
  readonly canonical: string;
  /** The file whose OS lock is the lock. */
  readonly lockPath: string;
}

export interface TargetSpec {
  /** `db` (default): the lock is `<canonical>.lock`; `lock`: the target itself is the lock file, like `flock FILE`. */
  kind?: 'db' | 'lock';
  /** Which sidecar (ignored for `kind: 'lock'`). @default 'lock' */
  sidecar?: SidecarKind;
  /** Put sidecars here instead of beside the target, named from a hash of the canonical path. */
  lockDir?: string | undefined;
}

/**
 * Map a target to its canonical path and lock file.
 * @example resolveLockTarget('app.db').lockPath // '/srv/app.db.lock'
 */
export function resolveLockTarget(target: string, spec: TargetSpec = {}): LockTarget {
  const canonical = canonicalizeTarget(target);
  if (spec.kind === 'lock') return { given: target, canonical, lockPath: canonical };
  const suffix = spec.sidecar === 'init' ? '.init.lock' : '.lock';
  return { given: target, canonical, lockPath: sidecarPath(canonical, suffix, spec.lockDir) };
}

/**
 * Refuse a target with more than one name: each name would get its own sidecar, so two writers could
 * hold "the" lock at once (and SQLite itself corrupts hard-linked databases). A missing file is fine.
 * Uses stat, never open: the caller may hold a SQLite connection to the file.
 */
export function refuseHardLinks(canonical: string): void {
  let links: number;
  try {
    const st = statSync(canonical);
    if (st.isDirectory()) return; // a directory cannot be hard-linked: its link count is its subdirectories
    links = st.nlink;
  } catch {
    return;
  }
  if (links > 1) {
    throw new DblockError(
      'EBADTARGET',
      `refusing ${canonical}: it has ${links} hard links, and each name would get its own lock; use one name (a symbolic link is fine)`,
    );
  }
}

/** `<canonical><suffix>`, or inside `lockDir` as `<hash>-<base><suffix>` so two databases never share a name. */
export function sidecarPath(canonical: string, suffix: string, lockDir?: string): string {
  if (lockDir === undefined) return canonical + suffix;
  const dir = canonicalizeTarget(lockDir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new DblockError('EBADTARGET', `lock directory does not exist: ${lockDir}`);
  // node:crypto costs about a millisecond to load: only `--lock-dir` needs it, so it is loaded here.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return join(dir, `${hash}-${basename(canonical)}${suffix}`);
}
