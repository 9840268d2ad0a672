import { DblockError } from '../../errors.js';

/** Options of `db.batchWriter()`. */
export interface BatchWriterOptions {
  /**
   * The SQL statement each parameter item runs, prepared once (e.g. `INSERT INTO log (at, msg) VALUES (?, ?)`).
   * Without it, only function items (`(sqlite) => void`) can be written.
   */
  statement?: string | undefined;
  /** A batch is flushed as soon as it holds this many items. @default 10 */
  bufferSize?: number | undefined;
  /**
   * A batch is flushed this long after its first item arrived, even if it is not full. `Infinity`
   * turns the timer off (then only size, `flush()` and `close()` flush). @default 500
   */
  flushIntervalMs?: number | undefined;
  /**
   * Items accepted and not yet committed (buffered, or in a batch being written) are bounded by
   * this; a `write()` beyond it waits for room before it joins a batch. At least `bufferSize`.
   * @default max(100, 2 × bufferSize)
   */
  capacity?: number | undefined;
}

/** Options with defaults applied and values validated. */
export interface ResolvedBatchOptions {
  readonly statement: string | undefined;
  readonly bufferSize: number;
  readonly flushIntervalMs: number;
  readonly capacity: number;
}

/** The largest delay a Node timer honours (larger ones fire after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Apply defaults and validate, with messages that name the option and the bad value.
 * @throws DblockError EUSAGE
 */
export function resolveBatchOptions(options: BatchWriterOptions): ResolvedBatchOptions {
  const { statement } = options;
  if (statement !== undefined && (typeof statement !== 'string' || statement.trim() === '')) {
    throw usage('`statement` to be an SQL string', statement);
  }
  const bufferSize = options.bufferSize ?? 10;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) throw usage('`bufferSize` to be an integer ≥ 1', bufferSize);
  const flushIntervalMs = options.flushIntervalMs ?? 500;
  if (
    typeof flushIntervalMs !== 'number' ||
    Number.isNaN(flushIntervalMs) ||
    flushIntervalMs < 0 ||
    (flushIntervalMs > MAX_TIMER_MS && flushIntervalMs !== Number.POSITIVE_INFINITY)
  ) {
    throw usage(`\`flushIntervalMs\` to be a number of milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity`, flushIntervalMs);
  }
  const capacity = options.capacity ?? Math.max(100, 2 * bufferSize);
  if (!Number.isSafeInteger(capacity) || capacity < bufferSize) {
    throw usage(`\`capacity\` to be an integer ≥ \`bufferSize\` (${bufferSize})`, capacity);
  }
  return { statement, bufferSize, flushIntervalMs, capacity };
}

function usage(expected: string, got: unknown): DblockError {
  return new DblockError('EUSAGE', `Expected ${expected}, got \`${String(got)}\``);
}
