import type { LockMode } from '../types.js';

/** Plain waits and unlocks (taking a lock for a holder is one call of lock-function.ts). */
export const LOCK_SQL = {
  wait: {
    exclusive: 'SELECT pg_advisory_lock($1::bigint), pg_backend_pid() AS backend_pid',
    shared: 'SELECT pg_advisory_lock_shared($1::bigint), pg_backend_pid() AS backend_pid',
  },
} as const satisfies Record<string, Record<LockMode, string>>;

/** Unlocks, as named statements: one on every release, so parsed and planned once per session. */
export const UNLOCK = {
  exclusive: { name: 'dblock_unlock', text: 'SELECT pg_advisory_unlock($1::bigint)' },
  shared: { name: 'dblock_unlock_shared', text: 'SELECT pg_advisory_unlock_shared($1::bigint)' },
} as const satisfies Record<LockMode, { name: string; text: string }>;

/** An exclusive holder's fence: its name's counter, which no one else can move while it holds the lock. */
const FENCE = "CASE WHEN h.mode = 'exclusive' THEN (e.epoch * 1099511627776 + f.token)::text END AS fence";

/** Granted holders of a key, with their records when they wrote one (live sessions only: pg_locks decides). */
export const HOLDERS_SQL = `SELECT l.pid AS backend_pid, l.mode AS lock_mode, a.application_name, h.name, h.pid, h.host,
    h.command, h.since, ${FENCE}, h.mode
  FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  LEFT JOIN dblock_holder h ON h.backend_pid = l.pid AND h.lock_key = $1::bigint
  LEFT JOIN dblock_fence_count f ON f.name = h.name
  LEFT JOIN dblock_epoch e ON e.id = 1
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $2::bigint::oid AND l.objid = $3::bigint::oid AND l.objsubid = 1
  ORDER BY h.since NULLS LAST`;

/** Every granted dblock lock on the server with its record (for `dblock status --backend postgres`). */
export const ALL_HOLDERS_SQL = `SELECT l.pid AS backend_pid, l.mode AS lock_mode, h.name, h.pid, h.host, h.command, h.since,
    ${FENCE}, h.mode
  FROM pg_locks l
  JOIN dblock_holder h ON h.backend_pid = l.pid
    AND l.classid = ((h.lock_key >> 32) & 4294967295)::oid AND l.objid = (h.lock_key & 4294967295)::oid
  LEFT JOIN dblock_fence_count f ON f.name = h.name
  LEFT JOIN dblock_epoch e ON e.id = 1
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  ORDER BY h.name, h.since`;
