import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { DblockError, fromSystemError } from '../errors.js';

const MAX_SYMLINK_HOPS = 40;

/**
 * Resolve a target to the one path every spelling of it maps to.
 *
 * Existing files: `realpath`. A file that does not exist yet: the realpath of its parent plus its
 * base name. A dangling symlink: the path it points to, resolved the same way (SQLite would create
 * the file there). A missing parent directory is an error, never a silently different lock.
 * @example canonicalizeTarget('./data/../data/app.db') // '/srv/data/app.db'
 */
export function canonicalizeTarget(target: string, cwd: string = process.cwd()): string {
  if (typeof target !== 'string' || target === '') {
    throw new DblockError('EUSAGE', 'Expected a target path, got an empty string');
  }
  if (target.includes('\0')) throw new DblockError('EUSAGE', 'Expected a target path without NUL bytes');
  // Keep `..` for the kernel to resolve: `link/..` must follow the symlink, as open(2) would.
  const absolute = isAbsolute(target) ? target : `${cwd}/${target}`;
  return resolveFrom(absolute, target, 0);
}

function resolveFrom(absolute: string, original: string, hops: number): string {
  try {
    return realpathSync.native(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new DblockError('EBADTARGET', `too many levels of symbolic links: ${original}`, { cause: err });
    if (code !== 'ENOENT') throw fromSystemError(err, original, 'EBADTARGET');
  }
  // The full path does not resolve: either the last component is missing or a dangling symlink.
  const name = basename(absolute);
  if (name === '' || name === '.' || name === '..') {
    throw new DblockError('EBADTARGET', `parent directory does not exist: ${original}`);
  }
  const parent = resolveParent(dirname(absolute), original);
  const full = join(parent, name);
  const link = readSymlink(full);
  if (link === undefined) return full;
  if (hops >= MAX_SYMLINK_HOPS) throw new DblockError('EBADTARGET', `too many levels of symbolic links: ${original}`);
  return resolveFrom(isAbsolute(link) ? link : `${parent}/${link}`, original, hops + 1);
}

function resolveParent(parent: string, original: string): string {
  let real: string;
  try {
    real = realpathSync.native(parent);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DblockError('EBADTARGET', `parent directory does not exist: ${resolve(parent)} (for ${original})`, {
        cause: err,
      });
    }
    throw fromSystemError(err, original, 'EBADTARGET');
  }
  if (!statSync(real).isDirectory()) {
    throw new DblockError('EBADTARGET', `parent is not a directory: ${real} (for ${original})`);
  }
  return real;
}

function readSymlink(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}
