import { descriptorShortageError, isDblockError } from '../errors.js';
import { findShortage, outOfDescriptors } from '../util/descriptors.js';

/** Codes of failures that can hide a descriptor shortage (the errno is lost on the way). */
const MAY_HIDE_SHORTAGE = new Set(['SQLITE_CANTOPEN', 'MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND']);

/**
 * `err` as a one-line EOSERR (exit 71) when it comes from running out of file descriptors, wherever
 * it was met: a system call (EMFILE/ENFILE anywhere in the cause chain: spawn, pipes, loading a
 * command's module), or a failure that hides the errno while this process cannot open any more.
 * Anything else is returned as it is.
 */
export function explainResourceError(err: unknown): unknown {
  if (isDblockError(err) && err.code === 'EOSERR') return err;
  const shortage = findShortage(err);
  if (shortage !== undefined) return descriptorShortageError(shortage.code, describeCall(shortage), err);
  if (!mayHideShortage(err)) return err;
  const hidden = outOfDescriptors();
  return hidden === undefined ? err : descriptorShortageError(hidden, (err as Error).message ?? String(err), err);
}

/** `open /srv/a.db.lock`, `spawn ./build.sh`: the call that failed, from the errno error. */
function describeCall(err: NodeJS.ErrnoException): string {
  const call = [err.syscall, err.path].filter((part) => part !== undefined && part !== '').join(' ');
  return call === '' ? err.message : call.replace(/^spawn (\S+) \1$/, 'spawn $1');
}

function mayHideShortage(err: unknown): boolean {
  if (!isDblockError(err) || err.code === 'EINTERNAL') return true;
  for (let at: unknown = err, depth = 0; at !== undefined && at !== null && depth < 8; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && MAY_HIDE_SHORTAGE.has(code)) return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}
