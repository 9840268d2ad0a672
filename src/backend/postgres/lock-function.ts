/**
 * The server-side function that takes a lock and records it in one round trip: write the holder row,
 * lock (try, or wait bounded by `lock_timeout`), then — only once granted — bump the name's fence
 * (exclusive). The row is written before the wait, off the hand-off path: nobody sees it before this
 * statement commits, which is after the grant (a refused try commits a row `pg_locks` never vouches
 * for, so no reader shows it). A CTE could not promise that order; plpgsql runs statement by
 * statement. Versioned in its name: an older dblock's function is never replaced under it. Its
 * output columns are r_* so they never shadow the tables' columns inside the body.
 *
 * The fence is `epoch * 2^40 + counter`. The per-name counter lives in an UNLOGGED table: no WAL,
 * so no flush per acquisition, and emptied by a crash. The epoch is durable and goes up once per
 * server start (`pg_postmaster_start_time()` changed), its commit flushed before any fence of the
 * new start is handed out: so a fence never repeats after a crash, a restart or an upgrade from the
 * per-name durable counter (whose values stay far below 2^40).
 */
export const LOCK_FUNCTION_SQL = `CREATE OR REPLACE FUNCTION dblock_lock_v3(p_key bigint, p_name text, p_mode text, p_pid integer,
  p_host text, p_command text, p_wait boolean, p_timeout_ms integer)
RETURNS TABLE (r_ok boolean, r_fence text, r_pid integer) LANGUAGE plpgsql AS $fn$
DECLARE t bigint; e bigint; s timestamptz;
BEGIN
  INSERT INTO dblock_holder AS h (backend_pid, lock_key, name, mode, pid, host, command, since)
    VALUES (pg_backend_pid(), p_key, p_name, p_mode, p_pid, p_host, p_command, now())
    ON CONFLICT (backend_pid) DO UPDATE SET lock_key = EXCLUDED.lock_key, name = EXCLUDED.name, mode = EXCLUDED.mode,
      pid = EXCLUDED.pid, host = EXCLUDED.host, command = EXCLUDED.command, since = EXCLUDED.since;
  IF p_wait THEN
    -- Local to this statement's transaction: the session's own setting is left alone.
    PERFORM set_config('lock_timeout', p_timeout_ms::text, true);
    IF p_mode = 'shared' THEN PERFORM pg_advisory_lock_shared(p_key); ELSE PERFORM pg_advisory_lock(p_key); END IF;
  ELSIF NOT (CASE WHEN p_mode = 'shared' THEN pg_try_advisory_lock_shared(p_key) ELSE pg_try_advisory_lock(p_key) END) THEN
    RETURN QUERY SELECT false, NULL::text, pg_backend_pid();
    RETURN;
  END IF;
  IF p_mode = 'exclusive' THEN
    SELECT epoch, started INTO e, s FROM dblock_epoch WHERE id = 1;
    IF e IS NULL OR s IS DISTINCT FROM pg_postmaster_start_time() THEN
      -- First fence since the server started: a new epoch, flushed even where commits are asynchronous.
      PERFORM set_config('synchronous_commit', 'local', true);
      INSERT INTO dblock_epoch AS d (id, epoch, started) VALUES (1, 1, pg_postmaster_start_time())
        ON CONFLICT (id) DO UPDATE SET epoch = d.epoch + 1, started = EXCLUDED.started
        WHERE d.started IS DISTINCT FROM EXCLUDED.started;
      SELECT epoch INTO e FROM dblock_epoch WHERE id = 1;
    END IF;
    INSERT INTO dblock_fence_count AS f (name, token) VALUES (p_name, 1)
      ON CONFLICT (name) DO UPDATE SET token = f.token + 1 RETURNING f.token INTO t;
    t := e * 1099511627776 + t;
  END IF;
  RETURN QUERY SELECT true, t::text, pg_backend_pid();
END
$fn$;`;

/**
 * One call: parameters key, name, mode, pid, host, command, wait, timeout ms (0 = none). A named
 * statement: parsed and planned once per session, then only bound and run.
 */
export const LOCK_CALL = {
  name: 'dblock_lock_v3',
  text: 'SELECT r_ok AS ok, r_fence AS fence, r_pid AS backend_pid FROM dblock_lock_v3($1::bigint, $2, $3, $4, $5, $6, $7, $8)',
} as const;
