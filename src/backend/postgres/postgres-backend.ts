import { DEFAULTS } from '../../defaults.js';
import type { BackendOptions, LockBackend, LockMode, LockResource, ProbeState } from '../types.js';
import { openSession, type PgClient, resolvePostgresUrl, type SessionOptions } from './connect.js';
import { allHolders, holdersOf, type PgHolder } from './holders.js';
import { localEndOf } from './inherited-socket.js';
import { lockKeyOf } from './lock-key.js';
import { PgLockResource } from './pg-resource.js';

/** Default lease: how long a held lock survives without an answered heartbeat (etcdctl's default TTL). */
export const DEFAULT_LEASE_MS: number = DEFAULTS.leaseMs;
const CONNECT_TIMEOUT_MS = 10_000;

/** The last holder record a resource of this process saw per name (the timeout message reads it). */
const lastSeen = new Map<string, Buffer>();

function sessionOptions(name: string, options: BackendOptions | undefined): SessionOptions {
  return {
    url: resolvePostgresUrl(options?.url),
    applicationName: `dblock ${name}`,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    leaseMs: options?.leaseMs ?? DEFAULT_LEASE_MS,
  };
}

/** Runs `fn` on a short-lived session of its own. */
async function withSession<T>(
  name: string,
  options: BackendOptions | undefined,
  fn: (client: PgClient) => Promise<T>,
): Promise<T> {
  const client = await openSession(sessionOptions(name, options));
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const VERIFY_SQL = `SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
    AND l.objsubid = 1 AND a.client_port = $3 AND a.client_addr = $4::inet`;

/**
 * PostgreSQL session advisory locks: the "lock path" is the lock's name, any string. The
 * server queues waiters FIFO and frees a session's locks when it ends, even on a crash.
 */
export const postgresBackend: LockBackend = {
  name: 'postgres',
  supportsShared: true,
  canBeCompromised: true,

  open(name: string, options?: BackendOptions): LockResource {
    const resource = new PgLockResource(
      name,
      sessionOptions(name, options),
      options?.command ?? [process.argv0, ...process.argv.slice(1)].join(' '),
    );
    resource.onHolderSeen = (record) => {
      if (record === undefined) lastSeen.delete(name);
      else lastSeen.set(name, record);
    };
    return resource;
  },

  async probe(name: string, options?: BackendOptions): Promise<ProbeState> {
    const holders = await withSession(name, options, (client) => holdersOf(client, name));
    if (holders.length === 0) return 'free';
    return holders.some((h) => h.mode === 'exclusive') ? 'exclusive' : 'shared';
  },

  readRecord(name: string): Buffer | undefined {
    return lastSeen.get(name);
  },

  /**
   * Trusted only when descriptor `fd` is a TCP socket whose local end is the client end of a session
   * the server shows holding `name`: a stray DBLOCK_HELD in another process has no such socket.
   */
  async inheritedMode(fd: number, name: string, options?: BackendOptions): Promise<LockMode | undefined> {
    const end = localEndOf(fd);
    if (end === undefined) return undefined;
    const key = lockKeyOf(name);
    try {
      const { rows } = await withSession(name, options, (client) =>
        client.query<{ mode: string }>(VERIFY_SQL, [key.classid, key.objid, end.port, end.address]),
      );
      const mode = rows[0]?.mode;
      if (mode === undefined) return undefined;
      return mode === 'ShareLock' ? 'shared' : 'exclusive';
    } catch {
      return undefined;
    }
  },
};

/** Live holders of `name` with their records (for `dblock status --backend postgres`). */
export async function postgresHolders(name: string | undefined, options?: BackendOptions): Promise<PgHolder[]> {
  return withSession(name ?? '', options, (client) => (name === undefined ? allHolders(client) : holdersOf(client, name)));
}
