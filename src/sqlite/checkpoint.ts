import { statSync } from 'node:fs';
import type { BackendName } from '../backend/types.js';
import { DblockError } from '../errors.js';
import { withLock } from '../lock/acquire.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { fromSqliteError, openConnection, type SqliteConnection } from './connection.js';
import { assertSqliteHeader, readHeader } from './header.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from './options.js';

/** `passive` never waits for readers; `truncate` also resets `-wal` to zero bytes (safe when every writer uses dblock). */
export type CheckpointMode = 'passive' | 'truncate';

/** Options of `checkpointDatabase()`. */
export interface CheckpointOptions {
  /** @default 'passive' */
  mode?: CheckpointMode | undefined;
  /** How long to wait for the write lock. @default DBLOCK_TIMEOUT or 30s */
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
 * @throws DblockError ENOINPUT (missing), ENOTDB, ELOCKTIMEOUT, EUSAGE (bad mode)
 * @example const { walBytesAfter } = await checkpointDatabase('app.db', { mode: 'truncate' });
 */
export async function checkpointDatabase(path: string, options: CheckpointOptions = {}): Promise<CheckpointReport> {
  const mode = options.mode ?? 'passive';
  if (mode !== 'passive' && mode !== 'truncate') {
    throw new DblockError('EUSAGE', `Expected \`mode\` to be one of passive, truncate, got \`${String(mode)}\``);
  }
  const canonical = canonicalizeTarget(path);
  const walPath = `${canonical}-wal`;
  // Before taking the lock, so a mistyped path does not leave a sidecar behind.
  if (readHeader(canonical).state === 'missing') throw new DblockError('ENOINPUT', `no such database: ${canonical}`);
  const lockOptions = { timeout: options.timeout, lockDir: options.lockDir, backend: options.backend };
  return withLock(
    canonical,
    () => {
      assertSqliteHeader(path, readHeader(canonical));
      const walBytesBefore = sizeOf(walPath);
      const conn = openConnection(canonical, { readonly: false, busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS });
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
      try {
        report.journalMode = String(conn.sqlite.pragma('journal_mode', { simple: true })).toLowerCase();
        if (report.journalMode === 'wal') {
          // TRUNCATE reports 0 frames once it has reset the WAL, so count them with a PASSIVE pass first.
          const passive = walCheckpoint(conn.sqlite, 'PASSIVE');
          report.walFrames = passive.log;
          report.checkpointedFrames = passive.checkpointed;
          if (mode === 'truncate') {
            const truncate = walCheckpoint(conn.sqlite, 'TRUNCATE');
            report.busy = truncate.busy === 1;
            report.checkpointedFrames = truncate.log === 0 ? passive.log : truncate.checkpointed;
          }
        }
      } catch (err) {
        throw fromSqliteError(err, canonical);
      } finally {
        conn.close();
      }
      // After close: the last connection to close may checkpoint and remove -wal itself.
      report.walBytesAfter = sizeOf(walPath);
      return report;
    },
    lockOptions,
  );
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function walCheckpoint(sqlite: SqliteConnection, mode: 'PASSIVE' | 'TRUNCATE'): CheckpointRow {
  const rows = sqlite.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[];
  return rows[0] ?? { busy: 0, log: -1, checkpointed: -1 };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
