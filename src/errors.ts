import { printable, quoted } from './util/printable.js';

/** Exit codes (sysexits.h), shared by every error and the CLI. */
export const EXIT = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  OSERR: 71,
  CANTCREAT: 73,
  IOERR: 74,
  TEMPFAIL: 75,
  NOPERM: 77,
  NOEXEC: 126,
  NOTFOUND: 127,
} as const;

const BRAND = Symbol.for('dblock.DblockError');

/** Stable, public error codes. Tests and callers match on these, never on message text. */
export type DblockErrorCode =
  | 'EUSAGE'
  | 'EBADTARGET'
  | 'ENOINPUT'
  | 'ESIDECAR'
  | 'EPERM'
  | 'ELOCKTIMEOUT'
  | 'ELOCKUNSUPPORTED'
  | 'EDEADLOCK'
  | 'EABORTED'
  | 'EUPGRADE'
  | 'EBACKENDMISMATCH'
  | 'ECOMPROMISED'
  | 'EMAXHOLD'
  | 'ENOTDB'
  | 'EINVARIANT'
  | 'EINTEGRITY'
  | 'EMIGRATION'
  | 'EINTENTCONFLICT'
  | 'ENETFS'
  | 'EREPORT'
  | 'EOSERR'
  | 'EIO'
  | 'EINTERNAL'
  // PostgreSQL backend: server unreachable, lock lost while held, pooled session refused.
  | 'EUNAVAILABLE'
  | 'ELOCKLOST'
  | 'EBACKENDPOOLED';

const DEFAULT_EXIT: Record<DblockErrorCode, number> = {
  EUSAGE: EXIT.USAGE,
  EBADTARGET: EXIT.NOINPUT,
  ENOINPUT: EXIT.NOINPUT,
  ESIDECAR: EXIT.CANTCREAT,
  EPERM: EXIT.NOPERM,
  ELOCKTIMEOUT: EXIT.TEMPFAIL,
  ELOCKUNSUPPORTED: EXIT.UNAVAILABLE,
  EDEADLOCK: EXIT.TEMPFAIL,
  EABORTED: EXIT.TEMPFAIL,
  EUPGRADE: EXIT.USAGE,
  EBACKENDMISMATCH: EXIT.CANTCREAT,
  ECOMPROMISED: EXIT.SOFTWARE,
  EMAXHOLD: 124, // like timeout(1)
  ENOTDB: EXIT.DATAERR,
  EINVARIANT: EXIT.DATAERR,
  EINTEGRITY: EXIT.DATAERR,
  EMIGRATION: EXIT.DATAERR,
  EINTENTCONFLICT: EXIT.TEMPFAIL,
  ENETFS: EXIT.USAGE,
  EREPORT: EXIT.CANTCREAT,
  EOSERR: EXIT.OSERR,
  EIO: EXIT.IOERR,
  EINTERNAL: EXIT.SOFTWARE,
  EUNAVAILABLE: EXIT.UNAVAILABLE,
  ELOCKLOST: EXIT.UNAVAILABLE,
  EBACKENDPOOLED: EXIT.UNAVAILABLE,
};

export interface DblockErrorOptions {
  cause?: unknown;
  exitCode?: number;
}

/**
 * The one error class dblock throws: a stable `code`, the CLI `exitCode`, the original in `cause`.
 * `instanceof` holds for errors from this copy of the module; `isDblockError()` for any copy.
 * @example
 * try { await lock('app.db', { timeout: 0 }) } catch (e) { if (isDblockError(e, 'ELOCKTIMEOUT')) … }
 */
export class DblockError extends Error {
  readonly code: DblockErrorCode;
  readonly exitCode: number;

  constructor(code: DblockErrorCode, message: string, options: DblockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DblockError';
    Object.defineProperty(this, BRAND, { value: true });
    this.code = code;
    this.exitCode = options.exitCode ?? DEFAULT_EXIT[code];
  }
}

/**
 * Whether `err` is a DblockError (with `code`, when given), from this copy of dblock or any other:
 * the bundled CLI loads parts of dist/ beside its own copy, and an app may load both the ESM and a
 * bundled copy. Every DblockError carries a global brand, so no `instanceof` override is needed.
 * @example
 * catch (e) { if (isDblockError(e, 'ELOCKTIMEOUT')) console.error('busy, try later'); else throw e; }
 */
export function isDblockError(err: unknown, code?: DblockErrorCode): err is DblockError {
  if (typeof err !== 'object' || err === null || (err as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (err as DblockError).code === code;
}

/** A lock wait ran out of time (or was a failed try-once). Names the holder when one is known. */
export class LockTimeoutError extends DblockError {
  readonly lockPath: string;
  readonly waitedMs: number;
  readonly holder: HolderRecordLike | undefined;

  constructor(lockPath: string, waitedMs: number, holder: HolderRecordLike | undefined, options: DblockErrorOptions = {}) {
    super('ELOCKTIMEOUT', formatTimeoutMessage(lockPath, waitedMs, holder), options);
    this.name = 'LockTimeoutError';
    this.lockPath = lockPath;
    this.waitedMs = waitedMs;
    this.holder = holder;
  }
}

/** The fields of a holder record that error messages use (see `lock/holder-record.ts`). */
export interface HolderRecordLike {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function formatTimeoutMessage(lockPath: string, waitedMs: number, holder: HolderRecordLike | undefined): string {
  const waited = waitedMs === 0 ? 'lock is busy (try-once)' : `timed out after ${(waitedMs / 1000).toFixed(1)}s waiting`;
  const head = waitedMs === 0 ? `${waited}: ${lockPath}` : `${waited} for ${lockPath}`;
  return holder === undefined ? head : `${head} (held by ${describeHolder(holder)})`;
}

/**
 * `pid 4121 "node worker.js" on host ci-3 since 12:04:31`. The record is someone else's text: its
 * control characters are escaped, so a holder cannot write terminal escapes into our messages.
 */
export function describeHolder(holder: HolderRecordLike): string {
  const since = new Date(holder.since);
  const clock = Number.isNaN(since.getTime()) ? printable(holder.since) : since.toTimeString().slice(0, 8);
  return `pid ${holder.pid} ${quoted(holder.command)} on host ${printable(holder.host)} since ${clock}`;
}

/** Wrap anything thrown by a system call into a DblockError with the right code and exit code. */
export function fromSystemError(err: unknown, what: string, fallback: DblockErrorCode = 'EINTERNAL'): DblockError {
  if (isDblockError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = (err as Error | undefined)?.message ?? String(err);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DblockError('EPERM', `permission denied: ${what}`, { cause: err });
    case 'ENOENT':
    case 'ENOTDIR':
      return new DblockError('ENOINPUT', `no such file or directory: ${what}`, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
      return descriptorShortageError(code, what, err);
    // Out of space, quota or size limit, or a failing device: an I/O error (74), not a bug in dblock (70).
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
    case 'EIO':
      return new DblockError('EIO', `${what}: ${detail}`, { cause: err });
    default:
      return new DblockError(fallback, `${what}: ${detail}`, { cause: err });
  }
}

/**
 * No file descriptor left (EMFILE: this process's `ulimit -n`; ENFILE: the whole system), as one
 * line that says what to do. Exit 71 (EX_OSERR).
 */
export function descriptorShortageError(code: 'EMFILE' | 'ENFILE', what: string, cause: unknown): DblockError {
  const advice =
    code === 'EMFILE' ? 'raise the limit (ulimit -n) or close descriptors' : 'the system is out of file descriptors: close some';
  return new DblockError('EOSERR', `too many open files (${code}): ${what}; ${advice}`, { cause });
}
