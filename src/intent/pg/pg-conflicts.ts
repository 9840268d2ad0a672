import type { SqlClient } from '../../backend/postgres/schema.js';
import type { ConflictRecord } from '../types.js';

interface ConflictRow {
  id: string;
  at: string;
  task_id: string;
  pid: number;
  host: string;
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
  waited_ms: string | null;
}

/** The scope's conflict log since `sinceMs` (epoch ms), oldest first. */
export async function readPgConflicts(client: SqlClient, scope: string, sinceMs: number): Promise<ConflictRecord[]> {
  const { rows } = await client.query<ConflictRow>(
    `SELECT id::text AS id, at::text AS at, task_id, pid, host, command, path, other_task_id, other_pid, other_host, other_command,
       other_path, other_state, policy, outcome, waited_ms::text AS waited_ms
     FROM dblock_intent_conflict WHERE scope = $1 AND at >= $2 ORDER BY id`,
    [scope, Math.floor(sinceMs)],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(Number(r.at)).toISOString(),
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
    waitedMs: r.waited_ms === null ? null : Number(r.waited_ms),
  }));
}
