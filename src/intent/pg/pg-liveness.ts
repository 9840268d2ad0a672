import { openSession, type PgClient } from '../../backend/postgres/connect.js';
import { type LockKey, lockKeyOf } from '../../backend/postgres/lock-key.js';
import { DblockError } from '../../errors.js';
import type { TaskLiveness } from '../store.js';

/** The advisory lock name of a task's liveness (its key is what `pg_locks` shows). */
export function livenessKey(token: string): LockKey {
  return lockKeyOf(`intent ${token}`);
}

const TAKE_SQL = 'SELECT pg_try_advisory_lock($1::bigint) AS ok, pg_backend_pid() AS backend_pid';
// A second statement: under a transaction-pooling proxy it may reach another server session, which we must notice.
const CHECK_SQL = `SELECT pg_backend_pid() AS backend_pid, EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
  AND granted AND pid = pg_backend_pid() AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1) AS ours`;

/** A task's liveness in PostgreSQL: a session advisory lock on a dedicated session, alive as long as the session. */
export interface PgTaskLiveness extends TaskLiveness {
  readonly backendPid: number;
  readonly key: LockKey;
}

/**
 * Open a dedicated session and take the task's liveness lock on it. The server frees the lock the
 * moment the session ends (process killed, host gone after the keepalive), so a dead task frees its
 * paths at once. A pooled session (PgBouncer transaction mode) is refused: it cannot hold a session lock.
 * @throws DblockError EUNAVAILABLE (69), EPERM (77), EBACKENDPOOLED
 */
export async function holdPgLiveness(url: string | undefined, token: string, leaseMs: number): Promise<PgTaskLiveness> {
  const client = await openSession({ url, applicationName: `dblock intent ${token}`, connectTimeoutMs: 10_000, leaseMs });
  const key = livenessKey(token);
  try {
    const taken = (await client.query<{ ok: boolean; backend_pid: number }>(TAKE_SQL, [key.key])).rows[0];
    const check = (await client.query<{ backend_pid: number; ours: boolean }>(CHECK_SQL, [key.classid, key.objid])).rows[0];
    if (taken?.ok !== true || check?.ours !== true || check.backend_pid !== taken.backend_pid) {
      throw new DblockError(
        'EBACKENDPOOLED',
        'postgres: the session of a write intent changed under us (a transaction-pooling proxy such as PgBouncer?); connect directly or through a session pool',
      );
    }
    // An idle liveness session must not keep the process alive (a file lock would not either).
    client.connection.stream.unref();
    const lost = new AbortController();
    let released = false;
    const drop = (): void => {
      if (!released) lost.abort(new DblockError('ELOCKLOST', `postgres: the session of write intent ${token} ended`));
    };
    client.on('error', drop);
    client.on('end', drop);
    const release = (): void => {
      released = true;
      endSession(client);
    };
    return { fd: socketFd(client), backendPid: taken.backend_pid, key, lost: lost.signal, release };
  } catch (err) {
    client.connection.stream.destroy();
    throw err;
  }
}

function socketFd(client: PgClient): number {
  const fd = (client.connection.stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Closing the socket ends the session: the server frees the lock, and waiters in other sessions wake. */
function endSession(client: PgClient): void {
  client.connection.stream.destroy();
}
