import type { SqlClient } from '../../backend/postgres/schema.js';

// Constant advisory key for creating the intent tables: two first users at once must not race CREATE TABLE.
const SCHEMA_KEY = '7308612712873562982';

/**
 * The write-intent registry in PostgreSQL: tasks (with the server session whose advisory lock
 * says the task lives) and the conflict log, both keyed by scope. Times are the server's epoch ms,
 * so machines with skewed clocks agree on ages and TTLs.
 */
const SCHEMA_SQL = `BEGIN;
SELECT pg_advisory_xact_lock(${SCHEMA_KEY});
CREATE SEQUENCE IF NOT EXISTS dblock_intent_seq;
CREATE TABLE IF NOT EXISTS dblock_intent_task (
  seq bigint PRIMARY KEY, scope text NOT NULL, id text NOT NULL, token text NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'admitted')), policy text NOT NULL,
  pid integer NOT NULL, host text NOT NULL, command text NOT NULL,
  submitted_at bigint NOT NULL, admitted_at bigint, ttl_ms bigint, expires_at bigint,
  backend_pid integer NOT NULL, live_classid bigint NOT NULL, live_objid bigint NOT NULL,
  paths jsonb NOT NULL, UNIQUE (scope, id));
CREATE TABLE IF NOT EXISTS dblock_intent_conflict (
  id bigserial PRIMARY KEY, scope text NOT NULL, at bigint NOT NULL, task_id text NOT NULL, task_seq bigint,
  pid integer NOT NULL, host text NOT NULL, command text NOT NULL, path text NOT NULL, other_task_id text NOT NULL,
  other_pid integer NOT NULL, other_host text NOT NULL, other_command text NOT NULL, other_path text NOT NULL,
  other_state text NOT NULL, policy text NOT NULL, outcome text NOT NULL, waited_ms bigint);
CREATE INDEX IF NOT EXISTS dblock_intent_conflict_at ON dblock_intent_conflict (scope, at);
COMMIT;`;

/** SQLSTATE undefined_table / undefined_object (the sequence): a database that has never seen dblock intents. */
const MISSING = new Set(['42P01', '42704']);

/** Runs `statement`, creating the tables first if this database has none yet. */
export async function withIntentSchema<T>(client: SqlClient, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (err) {
    if (!MISSING.has((err as { code?: string }).code ?? '')) throw err;
    await client.query('ROLLBACK').catch(() => {});
    await client.query(SCHEMA_SQL);
    return await statement();
  }
}

/** Tasks of a scope with whether each one's liveness lock is held by the session that took it. */
export const LOAD_TASKS_SQL = `SELECT t.seq::text AS seq, t.id, t.token, t.state, t.policy, t.pid, t.host, t.command,
    t.submitted_at::text AS submitted_at, t.admitted_at::text AS admitted_at, t.ttl_ms::text AS ttl_ms,
    t.expires_at::text AS expires_at, t.paths,
    EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock'
      AND l.objsubid = 1 AND l.pid = t.backend_pid AND l.classid = t.live_classid::oid AND l.objid = t.live_objid::oid) AS alive
  FROM dblock_intent_task t WHERE t.scope = $1 ORDER BY t.seq`;

/** The server's clock, in epoch milliseconds. */
export const NOW_SQL = `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS now`;
