import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { inject } from 'vitest';
import { afterThisTest } from './after-test.js';

/** The run's PostgreSQL URL (started once by test/global-setup.ts). */
export function postgresUrl(): string {
  return inject('postgresUrl');
}

/** An observer connection of the test itself (closed after the test). */
export async function observer(url = postgresUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  afterThisTest(() => client.end().catch(() => {}));
  return client;
}

/** Server pids granted the advisory lock of `name` (from pg_locks, the only source of truth). */
export async function grantedPids(client: pg.Client, key: { classid: number; objid: number }): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1`,
    [key.classid, key.objid],
  );
  return rows.map((r) => r.pid);
}

/**
 * A TCP proxy the test controls, in front of the server: `blackhole()` keeps every connection open but
 * forwards no more bytes either way (a partition, without root).
 */
/** Where a server URL points: the upstream of a test proxy. */
export function upstreamOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** Listen on a free loopback port; resolves to the port. */
export async function listenLocally(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** The URL with another port (the proxy's). */
export function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #blackholed = false;
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => this.#sockets.delete(s));
      }
      client.on('data', (chunk) => {
        if (!this.#blackholed) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.#blackholed) client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  /** Starts a proxy to the run's server; closed after the test. */
  static async start(url = postgresUrl()): Promise<TcpProxy> {
    const proxy = new TcpProxy(upstreamOf(url));
    proxy.port = await listenLocally(proxy.#server);
    afterThisTest(() => proxy.close());
    return proxy;
  }

  /** The server's URL with this proxy's port. */
  url(url = postgresUrl()): string {
    return withPort(url, this.port);
  }

  blackhole(): void {
    this.#blackholed = true;
  }

  close(): void {
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
  }
}
