import type { LockMode } from '../types.js';

/** Plain waits and unlocks (taking a lock for a holder is one call of lock-function.ts). */
export const LOCK_SQL = {
  wait: {
    exclusive: 'SELECT pg_advisory_lock($1::bigint), pg_backend_pid() AS backend_pid',
    shared: 'SELECT pg_advisory_lock_shared($1::bigint), pg_backend_pid() AS backend_pid',
  },
  unlock: {
    exclusive: 'SELECT pg_advisory_unlock($1::bigint)',
    shared: 'SELECT pg_advisory_unlock_shared($1::bigint)',
  },
} as const satisfies Record<string, Record<LockMode, string>>;

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
