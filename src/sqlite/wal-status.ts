import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { sidecarPath } from '../path/sidecar-path.js';

/** The outcome of the last bounded-WAL checkpoint (`maxWalBytes`), as `dblock check` reports it. */
export interface WalCheckpointStatus {
  /** True when readers (or, in `wal` concurrency, another writer) kept the TRUNCATE from finishing. */
  blocked: boolean;
  /** When it ran (ISO 8601). */
  at: string;
  /** Size of `-wal` when the checkpoint started. */
  walBytes: number;
  /** The bound that triggered it; null when `dblock checkpoint --mode truncate` ran it. */
  maxWalBytes: number | null;
  /** Frames in the WAL and frames copied into the database (SQLite's `log` and `checkpointed`; 0 after a TRUNCATE). */
  frames: number;
  checkpointed: number;
  /** The process that ran it. */
  pid: number;
}

/** `<db>.wal-status` (or inside `lockDir`): a tiny file dblock owns; SQLite never reads it. */
export function walStatusPath(canonical: string, lockDir?: string): string {
  return sidecarPath(canonical, '.wal-status', lockDir);
}

/**
 * Replace the status file atomically (temp file + rename), so a reader never sees half a record.
 * Best effort: the commit that triggered it is durable already, so a full disk only loses the record.
 */
export function writeWalStatus(path: string, status: WalCheckpointStatus): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    // A leftover (a killed process with this pid) or a planted symlink is removed, never written through.
    removeQuietly(tmp);
    writeFileSync(tmp, `${JSON.stringify(status)}\n`, { flag: 'wx' });
    renameSync(tmp, path);
  } catch {
    removeQuietly(tmp);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}

/** The last recorded status, or null when there is none or it cannot be read as one. */
export function readWalStatus(path: string): WalCheckpointStatus | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<WalCheckpointStatus>;
    if (typeof value.blocked !== 'boolean' || typeof value.at !== 'string' || typeof value.walBytes !== 'number') return null;
    return value as WalCheckpointStatus;
  } catch {
    return null;
  }
}
