import { LOCK_FUNCTION_SQL } from './lock-function.js';

/** Structural view of a node-postgres client: only what the backend calls. */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

// Constant advisory key for schema creation: two first users at once must not race CREATE TABLE.
const SCHEMA_KEY = '7308612712873562981';

/**
 * The backend's small tables: the fence's durable epoch (one row) and per-name counters, and the
 * advisory holder records (one row per server session, so a reused backend pid simply overwrites
 * its old row; an exclusive holder's fence is made of its name's counter, which only the holder can
 * have moved). Counters and records are UNLOGGED: written on every acquisition, worth no WAL, and
 * emptied by a crash, after which the epoch has gone up (see lock-function.ts).
 */
const SCHEMA_SQL = `BEGIN;
SELECT pg_advisory_xact_lock(${SCHEMA_KEY});
CREATE TABLE IF NOT EXISTS dblock_epoch (id integer PRIMARY KEY, epoch bigint NOT NULL, started timestamptz NOT NULL);
CREATE UNLOGGED TABLE IF NOT EXISTS dblock_fence_count (name text PRIMARY KEY, token bigint NOT NULL);
CREATE UNLOGGED TABLE IF NOT EXISTS dblock_holder (
  backend_pid integer PRIMARY KEY, lock_key bigint NOT NULL, name text NOT NULL, mode text NOT NULL,
  pid integer NOT NULL, host text NOT NULL, command text NOT NULL, since timestamptz NOT NULL);
${LOCK_FUNCTION_SQL}
COMMIT;`;

/** SQLSTATE undefined_table / undefined_function: the first use of a database (or of this version's function). */
const MISSING: ReadonlySet<string> = new Set(['42P01', '42883']);
/** Only a missing function proves the lock call did nothing (a missing table could come after the grant). */
export const FUNCTION_MISSING: ReadonlySet<string> = new Set(['42883']);

/**
 * Runs `statement`, creating the tables and function first if this database has never seen them.
 * `codes`: the SQLSTATEs that mean "not created yet" for this statement (only those that prove it did nothing).
 */
export async function withSchema<T>(
  client: SqlClient,
  statement: () => Promise<T>,
  codes: ReadonlySet<string> = MISSING,
): Promise<T> {
  try {
    return await statement();
  } catch (err) {
    if (!codes.has((err as { code?: string }).code ?? '')) throw err;
    await client.query(SCHEMA_SQL);
    return await statement();
  }
}
