import { type Stats, statSync } from 'node:fs';
import { DblockError } from '../../errors.js';

/**
 * Refuse, before any lock wait, a FILE that exists and is not a regular file (FIFO, socket,
 * directory, device): dblock cannot make a line in it whole, nor undo a failed one.
 */
export function assertAppendable(file: string): void {
  let stats: Stats | undefined;
  try {
    stats = statSync(file, { throwIfNoEntry: false });
  } catch {
    return; // EACCES, ELOOP…: opening it under the lock reports these
  }
  if (stats !== undefined && !stats.isFile()) throw notRegularFile(file, stats);
}

/** `EUSAGE` (64): PATH is a FIFO, socket, directory or device. */
export function notRegularFile(path: string, stats: Stats): DblockError {
  const kind = describeKind(stats);
  return new DblockError(
    'EUSAGE',
    `cannot append to ${path}: it is ${kind}, not a regular file (only a regular file takes whole lines that a failure can undo)`,
  );
}

function describeKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}
