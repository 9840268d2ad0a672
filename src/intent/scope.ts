import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DblockError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { isDirectory } from '../util/fs-probe.js';
import { printable } from '../util/printable.js';
import type { IntentPath } from './paths.js';

/** Environment variable naming the local directory a scope's paths are relative to. */
export const SCOPE_ROOT_ENV = 'DBLOCK_SCOPE_ROOT';

const SCOPE_NAME = /^[^\p{Cc}]{1,200}$/u;

/** `--registry postgres` (the URL from DBLOCK_POSTGRES_URL / PG*) or a `postgres://` / `postgresql://` URL. */
export function isPostgresRegistry(registry: string | undefined): registry is string {
  return registry !== undefined && (registry === 'postgres' || /^postgres(ql)?:\/\//i.test(registry));
}

/** Validate a scope name (a repo URL, a share's name: any printable text). @throws DblockError EUSAGE */
export function checkScopeName(scope: string | undefined): string {
  if (scope === undefined) {
    throw new DblockError(
      'EUSAGE',
      'a postgres registry needs --scope NAME (e.g. the repository URL): paths are shared relative to it',
    );
  }
  if (!SCOPE_NAME.test(scope) || scope.trim() === '') {
    throw new DblockError('EUSAGE', `Expected \`scope\` to be 1-200 printable characters, got \`${printable(scope)}\``);
  }
  return scope;
}

/**
 * The local directory that is the scope's root: `scopeRoot` (`--scope-root`), else DBLOCK_SCOPE_ROOT,
 * else the top of the git checkout around `cwd` (checkouts of one repository sit at different places
 * on different machines, but their layout is the same). Outside a checkout without either: EUSAGE.
 */
export function findScopeRoot(scopeRoot: string | undefined, cwd = process.cwd(), env = process.env): string {
  const given = scopeRoot ?? (env[SCOPE_ROOT_ENV] === '' ? undefined : env[SCOPE_ROOT_ENV]);
  if (given !== undefined) {
    const root = canonicalizeTarget(given, cwd);
    if (!isDirectory(root))
      throw new DblockError('EUSAGE', `Expected \`scope-root\` to be a directory, got \`${printable(given)}\``);
    return root;
  }
  for (let dir = canonicalizeTarget(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dir === '/') break;
  }
  throw new DblockError(
    'EUSAGE',
    `--scope needs --scope-root DIR (or ${SCOPE_ROOT_ENV}) outside a git checkout: which local directory is the scope's root?`,
  );
}

/**
 * Canonical local paths as paths in the scope: relative to `root`, written with a leading `/` for
 * the root itself (`<root>/data/a.json` → `/data/a.json`), so directory coverage works unchanged.
 * @throws DblockError EUSAGE for a path outside the root (it names nothing on the other machines)
 */
export function toScopePaths(paths: readonly IntentPath[], root: string): IntentPath[] {
  return paths.map(({ path, dir }) => {
    if (path === root) return { path: '/', dir: true };
    const prefix = root === '/' ? '/' : `${root}/`;
    if (!path.startsWith(prefix)) {
      throw new DblockError('EUSAGE', `${printable(path)} is outside the scope's root ${printable(root)} (set --scope-root)`);
    }
    return { path: `/${path.slice(prefix.length)}`, dir };
  });
}
