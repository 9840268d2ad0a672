import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DblockError, isDblockError } from '../errors.js';

/**
 * Check before a long run that the report can be written at `path`: its directory exists and is
 * writable, and `path` is not a directory. Returns the absolute path.
 * @throws DblockError EREPORT (exit 73)
 */
export function checkReportPath(path: string): string {
  if (path === '') throw new DblockError('EUSAGE', 'Expected `report` to be a file path, got an empty string');
  const absolute = resolve(path);
  const dir = dirname(absolute);
  try {
    if (!statSync(dir).isDirectory())
      throw new DblockError('EREPORT', `cannot write the report ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (isDblockError(err)) throw err;
    throw new DblockError(
      'EREPORT',
      `cannot write the report ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'} on ${dir}`,
      {
        cause: err,
      },
    );
  }
  if (statSync(absolute, { throwIfNoEntry: false })?.isDirectory() === true)
    throw new DblockError('EREPORT', `cannot write the report ${path}: it is a directory`);
  return absolute;
}

/**
 * Write the report whole or not at all: into a temporary file beside it, then renamed over `path`
 * (an existing report is replaced only by a complete one; a symlink at `path` is replaced, not followed).
 * @throws DblockError EREPORT (exit 73) when the file cannot be written (a full disk, permissions)
 */
export function writeReportFile(path: string, html: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, html, { flag: 'wx', mode: 0o666 });
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new DblockError(
      'EREPORT',
      `cannot write the report ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
