import type { SqlClient } from '../../backend/postgres/schema.js';
import { type ConflictRow, toConflictRecord } from '../conflict-log.js';
import type { ConflictRecord } from '../types.js';

/** PostgreSQL sends bigints as text. */
type PgConflictRow = Omit<ConflictRow, 'id' | 'at' | 'waited_ms'> & { id: string; at: string; waited_ms: string | null };

/** The scope's conflict log since `sinceMs` (epoch ms), oldest first (by the bigint id: `id` alone is the text column). */
export async function readPgConflicts(client: SqlClient, scope: string, sinceMs: number): Promise<ConflictRecord[]> {
  const { rows } = await client.query<PgConflictRow>(
    `SELECT id::text AS id, at::text AS at, task_id, pid, host, command, path, other_task_id, other_pid, other_host, other_command,
       other_path, other_state, policy, outcome, waited_ms::text AS waited_ms
     FROM dblock_intent_conflict c WHERE scope = $1 AND c.at >= $2 ORDER BY c.id`,
    [scope, Math.floor(sinceMs)],
  );
  return rows.map((r) =>
    toConflictRecord({ ...r, id: Number(r.id), at: Number(r.at), waited_ms: r.waited_ms === null ? null : Number(r.waited_ms) }),
  );
}
