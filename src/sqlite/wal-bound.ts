import { statSync } from 'node:fs';
import { isBusy, type SqliteConnection } from './connection.js';
import { type WalCheckpointStatus, writeWalStatus } from './wal-status.js';

/** Stat `-wal` after this many commits, or after STAT_INTERVAL_MS, whichever comes first. */
const STAT_EVERY = 16;
const STAT_INTERVAL_MS = 100;
/** While readers keep blocking, rewrite the status file at most this often. */
const BLOCKED_RECORD_MS = 1000;

/**
 * Keeps `-wal` under `maxWalBytes`: after a commit, still under the write lock, a cheap stat (every
 * STAT_EVERY commits or STAT_INTERVAL_MS) and, past the bound, one `wal_checkpoint(TRUNCATE)` with
 * SQLite's busy handler off (the writer's connection never has one), so a reader is never waited out on the write path. The outcome goes to
 * the `.wal-status` file for `dblock check`.
 */
export class WalBound {
  readonly #sqlite: SqliteConnection;
  readonly #walPath: string;
  readonly #statusPath: string;
  readonly #maxWalBytes: number;
  #commits = 0;
  #lastStat = Number.NEGATIVE_INFINITY;
  #lastBlockedRecord = Number.NEGATIVE_INFINITY;

  constructor(sqlite: SqliteConnection, path: string, statusPath: string, maxWalBytes: number) {
    this.#sqlite = sqlite;
    this.#walPath = `${path}-wal`;
    this.#statusPath = statusPath;
    this.#maxWalBytes = maxWalBytes;
  }

  /** Call after each commit, with the write lock (dblock's in serialized mode) still held. Never throws. */
  afterCommit(): void {
    this.#commits += 1;
    const now = performance.now();
    if (this.#commits < STAT_EVERY && now - this.#lastStat < STAT_INTERVAL_MS) return;
    this.#commits = 0;
    this.#lastStat = now;
    const walBytes = sizeOf(this.#walPath);
    if (walBytes > this.#maxWalBytes) this.#truncate(walBytes, now);
  }

  #truncate(walBytes: number, now: number): void {
    const row = this.#checkpoint();
    if (row === undefined) return;
    const blocked = row.busy !== 0;
    // While blocked, the file is rewritten at most once a second: the next commits retry cheaply.
    if (blocked && now - this.#lastBlockedRecord < BLOCKED_RECORD_MS) return;
    if (blocked) this.#lastBlockedRecord = now;
    const status: WalCheckpointStatus = {
      blocked,
      at: new Date().toISOString(),
      walBytes,
      maxWalBytes: this.#maxWalBytes,
      frames: row.log,
      checkpointed: row.checkpointed,
      pid: process.pid,
    };
    writeWalStatus(this.#statusPath, status);
  }

  /** TRUNCATE on the writer's connection, whose busy timeout is 0: a reader is never waited out on the main thread. */
  #checkpoint(): CheckpointRow | undefined {
    try {
      const rows = this.#sqlite.pragma('wal_checkpoint(TRUNCATE)') as CheckpointRow[];
      return rows[0];
    } catch (err) {
      if (isBusy(err)) return { busy: 1, log: -1, checkpointed: -1 };
      // Anything else (a full disk, an I/O error) must not fail a write that has committed.
      return undefined;
    }
  }
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
