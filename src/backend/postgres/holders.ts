import { lockKeyOf } from './lock-key.js';
import { ALL_HOLDERS_SQL, HOLDERS_SQL } from './lock-sql.js';
import { type SqlClient, withSchema } from './schema.js';

/** A granted dblock lock as the server sees it, with the holder's record. */
export interface PgHolder {
  name: string;
  /** Lock mode from `pg_locks` (`ExclusiveLock` or `ShareLock`) mapped to dblock's words. */
  mode: 'exclusive' | 'shared';
  backendPid: number;
  pid: number | undefined;
  host: string | undefined;
  command: string | undefined;
  since: string | undefined;
  fence: bigint | undefined;
}

interface HolderRow {
  backend_pid: number;
  lock_mode: string;
  name: string | null;
  pid: number | null;
  host: string | null;
  command: string | null;
  since: Date | null;
  fence: string | null;
}

function toHolder(row: HolderRow, fallbackName: string): PgHolder {
  return {
    name: row.name ?? fallbackName,
    mode: row.lock_mode === 'ShareLock' ? 'shared' : 'exclusive',
    backendPid: row.backend_pid,
    pid: row.pid ?? undefined,
    host: row.host ?? undefined,
    command: row.command ?? undefined,
    since: row.since?.toISOString(),
    fence: row.fence === null ? undefined : BigInt(row.fence),
  };
}

/** Live holders of `name` (liveness from `pg_locks`; the record only names them). */
export async function holdersOf(client: SqlClient, name: string): Promise<PgHolder[]> {
  const key = lockKeyOf(name);
  const { rows } = await withSchema(client, () => client.query<HolderRow>(HOLDERS_SQL, [key.key, key.classid, key.objid]));
  return rows.map((row) => toHolder(row, name));
}

/** Every live dblock lock on the server, for `dblock status --backend postgres`. */
export async function allHolders(client: SqlClient): Promise<PgHolder[]> {
  const { rows } = await withSchema(client, () => client.query<HolderRow>(ALL_HOLDERS_SQL));
  return rows.map((row) => toHolder(row, ''));
}

/** A holder as the JSON holder record the lock layer parses (the same shape flock's sidecar holds). */
export function holderRecordBytes(holder: PgHolder | undefined): Buffer | undefined {
  if (holder?.pid === undefined || holder.since === undefined) return undefined;
  const { pid, host, command, since, mode } = holder;
  return Buffer.from(JSON.stringify({ pid, host, command, since, version: '', mode }));
}
