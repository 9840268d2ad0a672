import { dirname } from 'node:path';
import { describeFilesystem, type FilesystemInfo } from '../path/fs-type.js';

/** Code of the process warning emitted when no `onWarning` hook is given. */
export const NETWORK_FS_WARNING = 'DBLOCK_NETWORK_FS';

let warned = false;

/**
 * Warn once per process that flock(2) may not exclude across hosts on a network filesystem. Goes to
 * `onWarning` when given (the CLI prints it as one line), else to `process.emitWarning`, so the library
 * never writes to stderr on its own. Called once per new lock path, so it costs one statfs per path.
 */
export function warnIfNetworkFs(
  lockPath: string,
  onWarning: ((message: string) => void) | undefined,
  describe: (dir: string) => FilesystemInfo = describeFilesystem,
): void {
  if (warned) return;
  const dir = dirname(lockPath);
  const fs = describe(dir);
  if (!fs.network) return;
  warned = true;
  const message = `${dir} is on ${fs.type}, a network filesystem: flock may not exclude processes on other hosts there; use the mkdir backend (--backend mkdir)`;
  if (onWarning === undefined) process.emitWarning(message, { code: NETWORK_FS_WARNING });
  else onWarning(message);
}
