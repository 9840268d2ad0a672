import type { LogHistogram } from './histogram.js';
import type { StressMode } from './options.js';

/** p50, p99 and max of a set of times, in milliseconds (null when there were none). */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The result of `dblock stress` (`--json` prints it as is). `ok` is true only when everything verified. */
export interface StressReport {
  readonly ok: boolean;
  readonly mode: StressMode;
  readonly workers: number;
  readonly ops: number;
  readonly txnRows: number;
  readonly seed: number;
  /** The database; with a temporary one, only meaningful when `kept`. */
  readonly db: string;
  readonly kept: boolean;
  /** The user's command (`-- CMD`), or null for the built-in workload. */
  readonly command: readonly string[] | null;
  readonly durationMs: number;
  /** Committed rows per second (null for a user command). */
  readonly rowsPerSec: number | null;
  /** Successful transactions (or commands) per second. */
  readonly opsPerSec: number;
  /** From asking to write until COMMIT returned (a command: from spawn to exit). */
  readonly txnLatencyMs: LatencySummary | null;
  /** From asking to write until the transaction began: the lock, or SQLite's busy retries (a command: `dblock exec`'s lock wait). */
  readonly lockWaitMs: LatencySummary | null;
  /** The lock waits in log-spaced bins: the shape the terminal's one-line sparkline draws. */
  readonly lockWaitHistogram: LogHistogram | null;
  /** Operations that failed because the database or the lock stayed busy. */
  readonly busyErrors: number;
  /** SQLITE_BUSY met at BEGIN or COMMIT and retried. */
  readonly retries: number;
  /** Operations that failed, for any reason (a command: a non-zero exit). */
  readonly failedOps: number;
  readonly kills: number;
  readonly quickCheck: string | null;
  readonly integrityCheck: string | null;
  readonly journalMode: string | null;
  /** workers × ops × txnRows (null for a user command). */
  readonly rowsExpected: number | null;
  /** Rows of the transactions the workers reported committed. */
  readonly rowsCommitted: number | null;
  readonly rowsFound: number | null;
  /** `free` when every lock could be taken at once after the run. */
  readonly locks: 'free' | 'stuck';
  /** Everything that did not verify, one line each. */
  readonly problems: readonly string[];
}

/** Nearest-rank percentiles and the maximum; null for no samples. */
export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
  return { p50: round(rank(50)), p99: round(rank(99)), max: round(sorted[sorted.length - 1] as number) };
}

/** Bins of `lockWaitHistogram`: one character each in the terminal's sparkline. */
export const WAIT_SHAPE_BINS = 24;

/** Two decimals: enough for milliseconds, and JSON stays readable. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
