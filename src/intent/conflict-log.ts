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
  for (const { conflict: c } of blockers) {
    insert.run(
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
    );
  }
  stmt(sqlite, 'DELETE FROM conflicts WHERE id <= (SELECT max(id) FROM conflicts) - ?').run(CONFLICT_LOG_MAX);
}

/** A queued task's conflicts get their final outcome: `waited` (admitted), `timed-out`, `abandoned`. */
export function settleConflicts(sqlite: SqliteConnection, seq: number, outcome: string, waitedMs: number | null): void {
  stmt(sqlite, "UPDATE conflicts SET outcome = ?, waited_ms = ? WHERE task_seq = ? AND outcome = 'queued'").run(
    outcome,
    waitedMs,
    seq,
  );
}

interface ConflictRow {
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
  return rows.map((r) => ({
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
  }));
}
