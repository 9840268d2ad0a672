import { localEndOf } from '../../backend/postgres/inherited-socket.js';
import type { SqlClient } from '../../backend/postgres/schema.js';
import { inheritedIntents } from '../inherited.js';
import { livenessKey } from './pg-liveness.js';

const VERIFY_SQL = `SELECT 1 AS ok FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.classid = $1::bigint::oid
    AND l.objid = $2::bigint::oid AND l.objsubid = 1 AND a.client_port = $3 AND a.client_addr = $4::inet`;

/**
 * Tasks of this registry that ancestors hold, each trusted only when its inherited descriptor is the
 * client end of the very session the server shows holding that task's liveness lock.
 */
export async function pgAncestorTasks(client: SqlClient, registryId: string, ref: () => () => void): Promise<Set<string>> {
  const out = new Set<string>();
  for (const intent of inheritedIntents().filter((i) => i.registry === registryId)) {
    const end = localEndOf(intent.fd);
    if (end === undefined) continue;
    const key = livenessKey(intent.token);
    const unref = ref();
    try {
      const { rows } = await client.query(VERIFY_SQL, [key.classid, key.objid, end.port, end.address]);
      if (rows.length > 0) out.add(intent.task);
    } catch {
      // unverifiable: not trusted
    } finally {
      unref();
    }
  }
  return out;
}
