import type { SqliteConnection } from '../sqlite/connection.js';
import type { Blocker, Submission } from './admission.js';
import { stmt } from './task-store.js';
import type { ConflictRecord } from './types.js';

/** The log keeps the most recent conflicts only: it must not grow without bound on a busy machine. */
export const CONFLICT_LOG_MAX = 10_000;

/** One row per task in the way (time, both tasks, both paths, policy, outcome). */
export function logConflicts(
  sqlite: SqliteConnection,
  sub: Submission,
  seq: number | undefined,
  blockers: readonly Blocker[],
  outcome: string,
  now: number,
): void {
  const insert = stmt(
    sqlite,
    `INSERT INTO conflicts (at, task_id, task_seq, pid, host, command, path, other_task_id, other_pid, other_host,
       other_command, other_path, other_state, policy, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const { conflict } of blockers) insert.run(...conflictValues(now, sub, seq, conflict, outcome));
  stmt(sqlite, 'DELETE FROM conflicts WHERE id <= (SELECT max(id) FROM conflicts) - ?').run(CONFLICT_LOG_MAX);
}

/** The values of one conflict row, in the column order both registries use (after the PostgreSQL scope). */
export function conflictValues(
  now: number,
  sub: Submission,
  seq: number | undefined,
  c: Blocker['conflict'],
  outcome: string,
): unknown[] {
  return [
    now,
    sub.id,
    seq ?? null,
    sub.pid,
    sub.host,
    sub.command,
    c.path,
    c.otherTaskId,
    c.pid,
    c.host,
    c.command,
    c.otherPath,
    c.otherState,
    sub.policy,
    outcome,
  ];
}

/** A queued task's conflicts get their final outcome: `waited` (admitted), `timed-out`, `abandoned`. */
export function settleConflicts(sqlite: SqliteConnection, seq: number, outcome: string, waitedMs: number | null): void {
  stmt(sqlite, "UPDATE conflicts SET outcome = ?, waited_ms = ? WHERE task_seq = ? AND outcome = 'queued'").run(
    outcome,
    waitedMs,
    seq,
  );
}

/** A conflict row as both registries read it (PostgreSQL's bigints converted to numbers first). */
export interface ConflictRow {
  id: number;
  at: number;
  task_id: string;
  pid: number;
  host: string | null;
  command: string;
  path: string;
  other_task_id: string;
  other_pid: number;
  other_host: string;
  other_command: string;
  other_path: string;
  other_state: string;
  policy: ConflictRecord['policy'];
  outcome: string;
  waited_ms: number | null;
}

/** The log since `sinceMs` (epoch milliseconds), oldest first. */
export function readConflicts(sqlite: SqliteConnection, sinceMs: number): ConflictRecord[] {
  const rows = stmt(sqlite, 'SELECT * FROM conflicts WHERE at >= ? ORDER BY id').all(sinceMs) as ConflictRow[];
  return rows.map(toConflictRecord);
}

/** One row of the log as the API gives it. */
export function toConflictRecord(r: ConflictRow): ConflictRecord {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    taskId: r.task_id,
    pid: r.pid,
    host: r.host,
    command: r.command,
    path: r.path,
    otherTaskId: r.other_task_id,
    otherPid: r.other_pid,
    otherHost: r.other_host,
    otherCommand: r.other_command,
    otherPath: r.other_path,
    otherState: r.other_state,
    policy: r.policy,
    outcome: r.outcome,
    waitedMs: r.waited_ms,
  };
}
