import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendName } from '../backend/types.js';
import { CHECKPOINT_MODES, DEFAULTS } from '../defaults.js';
import { DblockError } from '../errors.js';
import { withLock } from '../lock/acquire.js';
import { assertKnownOptions, parseChoice, resolveTimeoutMs } from '../options.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { backoffMs, busyTimeout, type RetryControl, retryBusy } from './busy-retry.js';
import { fromSqliteError, isBusy, openConnection, type SqliteConnection } from './connection.js';
import { assertSqliteHeader, readHeader } from './header.js';
import { walStatusPath, writeWalStatus } from './wal-status.js';

/** `passive` never waits for readers; `truncate` also resets `-wal` to zero bytes (safe when every writer uses dblock). */
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

/** Options of `checkpointDatabase()`. */
export interface CheckpointOptions {
  /** @default 'passive' */
  mode?: CheckpointMode | undefined;
  /** How long to wait for the write lock: milliseconds, or a string with a unit (`5s`). @default DBLOCK_TIMEOUT or 30s */
  timeout?: string | number | undefined;
  lockDir?: string | undefined;
  backend?: BackendName | undefined;
}

/** What a checkpoint did. Frame counts are -1 when the database is not in WAL mode. */
export interface CheckpointReport {
  path: string;
  mode: CheckpointMode;
  journalMode: string;
  /** True when readers kept the checkpoint from finishing (run it again later). */
  busy: boolean;
  /** Frames in the WAL before the checkpoint. */
  walFrames: number;
  /** Frames copied into the database file. */
  checkpointedFrames: number;
  walBytesBefore: number;
  walBytesAfter: number;
}

/**
 * Checkpoint the WAL into the database file while holding the write lock, so no dblock writer is
 * mid-transaction. A database not in WAL mode is left alone.
 * Every wait, for dblock's lock and for SQLite's (another connection writing outside dblock), is
 * bounded by `timeout`.
 * @throws DblockError ENOINPUT (missing), ENOTDB, ELOCKTIMEOUT (also: a writer that bypasses dblock
 * kept TRUNCATE from finishing), EUSAGE (bad mode, unknown option)
 * @example const { walBytesAfter } = await checkpointDatabase('app.db', { mode: 'truncate' });
 */
export async function checkpointDatabase(path: string, options: CheckpointOptions = {}): Promise<CheckpointReport> {
  assertKnownOptions(options, ['mode', 'timeout', 'lockDir', 'backend'], 'checkpointDatabase');
  const mode = parseChoice('mode', options.mode ?? DEFAULTS.checkpointMode, CHECKPOINT_MODES);
  const started = performance.now();
  const timeoutMs = resolveTimeoutMs(options.timeout);
  // One deadline for dblock's lock and SQLite's: the whole command honours its timeout.
  const deadline = started + timeoutMs;
  const canonical = canonicalizeTarget(path);
  const walPath = `${canonical}-wal`;
  // Before taking the lock, so a mistyped path does not leave a sidecar behind.
  if (readHeader(canonical).state === 'missing') throw new DblockError('ENOINPUT', `no such database: ${canonical}`);
  const lockOptions = { timeout: timeoutMs, lockDir: options.lockDir, backend: options.backend };
  return withLock(
    canonical,
    async () => {
      assertSqliteHeader(path, readHeader(canonical));
      const walBytesBefore = sizeOf(walPath);
      // Busy timeout 0: SQLite's handler would sleep on the main thread, past our timeout.
      const conn = openConnection(canonical, { readonly: false, busyTimeoutMs: 0 });
      const report: CheckpointReport = {
        path: canonical,
        mode,
        journalMode: '',
        busy: false,
        walFrames: -1,
        checkpointedFrames: -1,
        walBytesBefore,
        walBytesAfter: walBytesBefore,
      };
      const control = (what: string): RetryControl => ({
        phase: 'open',
        path: canonical,
        deadline,
        started,
        what,
        holdsLock: true,
      });
      try {
        const sqlite = conn.sqlite;
        const journalMode = () => String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase();
        report.journalMode = await retryBusy(journalMode, control('reading the journal mode'));
        if (report.journalMode === 'wal') await checkpointWal(sqlite, report, control);
      } catch (err) {
        throw fromSqliteError(err, canonical);
      } finally {
        conn.close();
      }
      // After close: the last connection to close may checkpoint and remove -wal itself.
      report.walBytesAfter = sizeOf(walPath);
      if (report.mode === 'truncate' && report.journalMode === 'wal') record(report, options.lockDir);
      return report;
    },
    lockOptions,
  );
}

/**
 * Checkpoint until SQLite says it is not busy or the deadline passes, backing off in between. Then a
 * writer still in a transaction (it bypasses dblock: we hold `.lock`) is ELOCKTIMEOUT; readers
 * that kept TRUNCATE from finishing are reported as `busy`, never blamed for a writer.
 */
async function checkpointWal(
  sqlite: SqliteConnection,
  report: CheckpointReport,
  control: (what: string) => RetryControl,
): Promise<void> {
  const { deadline } = control('');
  for (let attempt = 0; ; attempt += 1) {
    // TRUNCATE reports 0 frames once it has reset the WAL, so count them with a PASSIVE pass first.
    const passive = walCheckpoint(sqlite, 'PASSIVE');
    report.walFrames = passive.log;
    report.checkpointedFrames = passive.checkpointed;
    let busy = passive.busy === 1;
    if (report.mode === 'truncate' && !busy) {
      const truncate = walCheckpoint(sqlite, 'TRUNCATE');
      busy = truncate.busy === 1;
      report.checkpointedFrames = truncate.log === 0 ? passive.log : truncate.checkpointed;
    }
    report.busy = busy;
    if (!busy) return;
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      if (writerActive(sqlite))
        throw busyTimeout(control(`wal_checkpoint(${report.mode.toUpperCase()}): a write transaction is open`), undefined);
      return;
    }
    await sleep(Math.min(backoffMs(attempt), remaining));
  }
}

/** A TRUNCATE is what `maxWalBytes` runs too: record it, so `dblock check` shows whichever ran last. */
function record(report: CheckpointReport, lockDir: string | undefined): void {
  writeWalStatus(walStatusPath(report.path, lockDir), {
    blocked: report.busy,
    at: new Date().toISOString(),
    walBytes: report.walBytesBefore,
    maxWalBytes: null,
    frames: report.walFrames,
    checkpointed: report.checkpointedFrames,
    pid: process.pid,
  });
}

/** Whether another connection holds SQLite's write lock: a BEGIN IMMEDIATE that cannot start says so. */
function writerActive(sqlite: SqliteConnection): boolean {
  try {
    sqlite.exec('BEGIN IMMEDIATE');
  } catch (err) {
    if (isBusy(err)) return true;
    throw err;
  }
  sqlite.exec('ROLLBACK');
  return false;
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function walCheckpoint(sqlite: SqliteConnection, mode: 'PASSIVE' | 'TRUNCATE'): CheckpointRow {
  try {
    const rows = sqlite.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[];
    return rows[0] ?? { busy: 0, log: -1, checkpointed: -1 };
  } catch (err) {
    // Mid-recovery or similar: as busy as a checkpoint that could not finish.
    if (isBusy(err)) return { busy: 1, log: -1, checkpointed: -1 };
    throw err;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
