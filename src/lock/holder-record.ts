import { hostname } from 'node:os';
import { type LockBackend, type LockMode, type LockResource, RECORD_SIZE } from '../backend/types.js';
import { VERSION } from '../version.js';

/** Advisory: who took an exclusive lock. Liveness is always the OS lock, never this record. */
export interface HolderRecord {
  pid: number;
  host: string;
  command: string;
  since: string;
  version: string;
  mode: LockMode;
}

const MAX_COMMAND = 300;
const MAX_HOST = 64;
const SINCE_LENGTH = new Date(0).toISOString().length;

/** The command line of this process as a user would recognise it. */
export function currentCommand(): string {
  return [process.argv0, ...process.argv.slice(1)].join(' ');
}

/**
 * Encodes this process's record with only `since` changing per acquire: the JSON prefix and the
 * padded buffer are built once, so the hot path is one ISO date written into a reused buffer.
 */
export class HolderRecordWriter {
  readonly #buffer: Buffer;
  readonly #sinceAt: number;
  /** The millisecond whose time the buffer holds: a loop re-acquiring within one skips the formatting. */
  #stampedAt = Number.NaN;

  constructor(fields: { pid?: number; command?: string; mode?: LockMode } = {}) {
    const prefix = fittingPrefix({
      pid: fields.pid ?? process.pid,
      host: hostname().slice(0, MAX_HOST),
      command: (fields.command ?? currentCommand()).slice(0, MAX_COMMAND),
      version: VERSION,
      mode: fields.mode ?? 'exclusive',
    });
    this.#buffer = Buffer.alloc(RECORD_SIZE, 0x20);
    const used = this.#buffer.write(prefix, 0, 'utf8');
    this.#sinceAt = used;
    this.#buffer.write('"}', used + SINCE_LENGTH, 'utf8');
    this.#buffer[RECORD_SIZE - 1] = 0x0a;
  }

  /** The record stamped with the current time (the returned buffer is reused by the next call). */
  encode(now: number = Date.now()): Buffer {
    if (now !== this.#stampedAt) {
      this.#buffer.write(new Date(now).toISOString(), this.#sinceAt, 'latin1');
      this.#stampedAt = now;
    }
    return this.#buffer;
  }
}

/**
 * `{…,"since":"` short enough that since, `"}` and the newline still fit in RECORD_SIZE bytes: the
 * command is cut by UTF-8 bytes after JSON escaping (multi-byte text or escapes can double its size).
 */
function fittingPrefix(fields: { pid: number; host: string; command: string; version: string; mode: LockMode }): string {
  const room = RECORD_SIZE - SINCE_LENGTH - 3;
  let command = fields.command;
  for (;;) {
    const prefix = `${JSON.stringify({ ...fields, command }).slice(0, -1)},"since":"`;
    const over = Buffer.byteLength(prefix) - room;
    if (over <= 0) return prefix;
    command = command.slice(0, Math.max(0, command.length - Math.max(1, Math.ceil(over / 2))));
  }
}

/** Parse a sidecar's bytes; undefined when there is no (valid) record. */
function parseHolderRecord(bytes: Buffer | undefined): HolderRecord | undefined {
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8').trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text.split('\n')[0] ?? '') as Partial<HolderRecord>;
    if (typeof value.pid !== 'number' || typeof value.since !== 'string') return undefined;
    return {
      pid: value.pid,
      host: String(value.host ?? ''),
      command: String(value.command ?? ''),
      since: value.since,
      version: String(value.version ?? ''),
      mode: value.mode === 'shared' ? 'shared' : 'exclusive',
    };
  } catch {
    return undefined;
  }
}

/**
 * The record unless it is visibly stale: a pid that no longer exists on this host. (Only for naming
 * the holder in messages: whether the lock is held is always decided by the OS lock.)
 */
function unlessStale(record: HolderRecord | undefined): HolderRecord | undefined {
  if (record === undefined || record.host !== hostname()) return record;
  try {
    process.kill(record.pid, 0);
    return record;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? record : undefined;
  }
}

/**
 * Who holds `lockPath` according to its advisory record, unless visibly stale. For messages only:
 * whether the lock is held is decided by the backend's probe, never by this.
 */
export function readHolder(backend: LockBackend, lockPath: string): HolderRecord | undefined {
  return unlessStale(parseHolderRecord(backend.readRecord(lockPath)));
}

/** {@link readHolder} through an open resource's descriptors when it can read its record itself. */
export function readHolderThrough(
  resource: LockResource | undefined,
  backend: LockBackend,
  lockPath: string,
): HolderRecord | undefined {
  if (resource?.readRecord === undefined) return readHolder(backend, lockPath);
  return unlessStale(parseHolderRecord(resource.readRecord()));
}
