import type { Socket } from 'node:net';
import { DblockError } from '../../errors.js';
import type { SqlClient } from './schema.js';

/** Structural view of a node-postgres `Client` (pg stays a lazily loaded, optional-at-start-up module). */
export interface PgClient extends SqlClient {
  /** A named statement: parsed and planned on its first use in the session, then only bound and run. */
  query<R = Record<string, unknown>>(config: { name: string; text: string; values?: unknown[] }): Promise<{ rows: R[] }>;
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  connect(): Promise<void>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  readonly processID: number | null;
  readonly connection: { readonly stream: Socket };
}

type PgModule = { Client: new (config: Record<string, unknown>) => PgClient };

let loading: Promise<PgModule> | undefined;

/** node-postgres, loaded on first use only: `dblock exec` with a file backend never pays for it. */
export function loadPg(): Promise<PgModule> {
  loading ??= import('pg').then((mod) => (mod.default ?? mod) as unknown as PgModule);
  return loading;
}

/** How to reach the server: the URL given, else `DBLOCK_POSTGRES_URL`, else node-postgres' own `PG*` variables. */
export function resolvePostgresUrl(url: string | undefined): string | undefined {
  const chosen = url ?? process.env.DBLOCK_POSTGRES_URL;
  if (chosen === undefined || chosen === '') return undefined;
  // node-postgres reads any other string as a URL relative to "postgres://base" and reports host "base" unknown.
  if (!URL_FORMS.test(chosen)) {
    const from = url === undefined ? 'DBLOCK_POSTGRES_URL' : 'the PostgreSQL URL';
    throw new DblockError('EUSAGE', `${from} is not a connection URL: write postgres://USER@HOST:PORT/DB (or socket:/DIR)`);
  }
  return chosen;
}

/** What node-postgres parses as a connection string: a postgres URL, a socket URL or a socket directory. */
const URL_FORMS = /^(postgres(ql)?:\/\/|socket:|\/)/i;

/** What a session is opened with. */
export interface SessionOptions {
  readonly url: string | undefined;
  /** Shown in `pg_stat_activity.application_name` (the server cuts it at 63 bytes). */
  readonly applicationName: string;
  /** Give up connecting after this long. */
  readonly connectTimeoutMs: number;
  /** Lease, for the server's own dead-peer detection (keepalives / tcp_user_timeout) on this session. */
  readonly leaseMs: number;
}

/**
 * Opens one dedicated, unpooled session. Unreachable → `EUNAVAILABLE` (69); refused credentials → `EPERM` (77).
 * An `error` listener is attached at once: without one, a dropped connection would crash the process.
 */
export async function openSession(options: SessionOptions): Promise<PgClient> {
  const { Client } = await loadPg();
  const leaseS = Math.max(1, Math.ceil(options.leaseMs / 1000));
  const client = new Client({
    ...(options.url === undefined ? {} : { connectionString: options.url }),
    application_name: options.applicationName.slice(0, 63),
    connectionTimeoutMillis: Math.max(1, Math.ceil(options.connectTimeoutMs)),
    keepAlive: true,
    keepAliveInitialDelayMillis: options.leaseMs,
    // The server drops a silent peer after about a lease and frees its locks: a dead host cannot hold one forever.
    options: `-c tcp_keepalives_idle=${leaseS} -c tcp_keepalives_interval=${leaseS} -c tcp_keepalives_count=2 -c tcp_user_timeout=${2 * leaseS * 1000}`,
  });
  client.on('error', () => {}); // reported through the session's own loss handling
  try {
    await client.connect();
  } catch (err) {
    client.end().catch(() => {});
    throw connectError(err, options.url);
  }
  return client;
}

const AUTH_STATES = new Set(['28P01', '28000']);

/** Maps a failed connect to one line and the right exit code. */
export function connectError(err: unknown, url: string | undefined): DblockError {
  if (err instanceof DblockError) return err;
  const e = err as { code?: string; message?: string };
  const where = describeServer(url);
  const detail = e.message ?? String(err);
  if ((e.code !== undefined && AUTH_STATES.has(e.code)) || /password|SASL|authentication/i.test(detail)) {
    return new DblockError('EPERM', `postgres: permission denied connecting to ${where}: ${detail}`, { cause: err });
  }
  return new DblockError('EUNAVAILABLE', `postgres: cannot reach ${where}: ${detail}`, { cause: err });
}

/** `host:port/db` without the password. */
export function describeServer(url: string | undefined): string {
  if (url === undefined) return `${process.env.PGHOST ?? 'localhost'}:${process.env.PGPORT ?? '5432'} (PG* environment)`;
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the server in the connection string';
  }
}
