import type { LockMode } from '../types.js';

/** The SQL of the session lock, one statement per step (each is one round trip). */
export const LOCK_SQL = {
  try: {
    exclusive: 'SELECT pg_try_advisory_lock($1::bigint) AS ok, pg_backend_pid() AS backend_pid',
    shared: 'SELECT pg_try_advisory_lock_shared($1::bigint) AS ok, pg_backend_pid() AS backend_pid',
  },
  wait: {
    exclusive: 'SELECT pg_advisory_lock($1::bigint), pg_backend_pid() AS backend_pid',
    shared: 'SELECT pg_advisory_lock_shared($1::bigint), pg_backend_pid() AS backend_pid',
  },
  unlock: {
    exclusive: 'SELECT pg_advisory_unlock($1::bigint)',
    shared: 'SELECT pg_advisory_unlock_shared($1::bigint)',
  },
} as const satisfies Record<string, Record<LockMode, string>>;

// Whether this very session holds the key: gone or not ours means a pooler swapped the session under us.
const OURS = `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
  AND classid = $7::bigint::oid AND objid = $8::bigint::oid AND objsubid = 1) AS ours`;

const UPSERT_HOLDER = `INSERT INTO dblock_holder (backend_pid, lock_key, name, mode, pid, host, command, since, fence)
  SELECT pg_backend_pid(), $2::bigint, $1, $3, $4, $5, $6, now(), %FENCE%
  ON CONFLICT (backend_pid) DO UPDATE SET lock_key = EXCLUDED.lock_key, name = EXCLUDED.name, mode = EXCLUDED.mode,
    pid = EXCLUDED.pid, host = EXCLUDED.host, command = EXCLUDED.command, since = EXCLUDED.since, fence = EXCLUDED.fence`;

/**
 * After a grant, in the same session and one round trip: bump the name's fencing counter (exclusive
 * only), write the holder record, and check the lock is really this session's.
 * Parameters: name, key, mode, pid, host, command, classid, objid.
 */
export const GRANTED_SQL: Record<LockMode, string> = {
  exclusive: `WITH f AS (INSERT INTO dblock_fence (name, token) VALUES ($1, 1)
    ON CONFLICT (name) DO UPDATE SET token = dblock_fence.token + 1 RETURNING token),
  h AS (${UPSERT_HOLDER.replace('%FENCE%', '(SELECT token FROM f)')} RETURNING 1)
  SELECT (SELECT token FROM f)::text AS fence, pg_backend_pid() AS backend_pid, ${OURS}, (SELECT count(*) FROM h) AS recorded`,
  shared: `WITH h AS (${UPSERT_HOLDER.replace('%FENCE%', 'NULL::bigint')} RETURNING 1)
  SELECT NULL::text AS fence, pg_backend_pid() AS backend_pid, ${OURS}, (SELECT count(*) FROM h) AS recorded`,
};

/** Granted holders of a key, with their records when they wrote one (live sessions only: pg_locks decides). */
export const HOLDERS_SQL = `SELECT l.pid AS backend_pid, l.mode AS lock_mode, a.application_name, h.name, h.pid, h.host,
    h.command, h.since, h.fence::text AS fence, h.mode
  FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  LEFT JOIN dblock_holder h ON h.backend_pid = l.pid AND h.lock_key = $1::bigint
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $2::bigint::oid AND l.objid = $3::bigint::oid AND l.objsubid = 1
  ORDER BY h.since NULLS LAST`;

/** Every granted dblock lock on the server with its record (for `dblock status --backend postgres`). */
export const ALL_HOLDERS_SQL = `SELECT l.pid AS backend_pid, l.mode AS lock_mode, h.name, h.pid, h.host, h.command, h.since,
    h.fence::text AS fence, h.mode
  FROM pg_locks l
  JOIN dblock_holder h ON h.backend_pid = l.pid
    AND l.classid = ((h.lock_key >> 32) & 4294967295)::oid AND l.objid = (h.lock_key & 4294967295)::oid
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  ORDER BY h.name, h.since`;
