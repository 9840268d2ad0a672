import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterThisTest } from './after-test.js';
import { listenLocally, postgresUrl, upstreamOf, withPort } from './postgres.js';

/** The server's message framing: a type byte, then an int32 length that counts itself. */
function* messageTypes(buffer: Buffer): Generator<{ type: string; end: number }> {
  let at = 0;
  while (at + 5 <= buffer.length) {
    const end = at + 1 + buffer.readInt32BE(at + 1);
    if (end > buffer.length) return;
    yield { type: String.fromCharCode(buffer[at] as number), end };
    at = end;
  }
}

/**
 * What a transaction-pooling proxy (PgBouncer `pool_mode = transaction`) does to a client, for real:
 * the client's handshake and first query (or first `firstQueries`) reach one server session; from the
 * next query on, every byte goes to another, already authenticated server session (so
 * `pg_backend_pid()` changes and session state such as an advisory lock or a prepared statement stays
 * behind on the first one).
 */
export class PoolingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Set<pg.Client>();
  port = 0;

  private constructor(target: { host: string; port: number }, firstQueries: number) {
    this.#server = createServer((client) => {
      client.pause();
      this.#track(client);
      this.#serve(client, target, firstQueries).catch(() => client.destroy());
    });
  }

  /** A proxy in front of the run's server; closed after the test. */
  static async start(url = postgresUrl(), firstQueries = 1): Promise<PoolingProxy> {
    const proxy = new PoolingProxy(upstreamOf(url), firstQueries);
    proxy.port = await listenLocally(proxy.#server);
    afterThisTest(() => proxy.close());
    return proxy;
  }

  /** The server's URL with this proxy's port. */
  url(url = postgresUrl()): string {
    return withPort(url, this.port);
  }

  close(): void {
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#clients) c.end().catch(() => {});
  }

  async #serve(client: Socket, target: { host: string; port: number }, firstQueries: number): Promise<void> {
    // The second server session, authenticated by node-postgres, then used as a raw byte stream.
    const spare = new pg.Client({ connectionString: postgresUrl() });
    spare.on('error', () => {});
    this.#clients.add(spare);
    await spare.connect();
    const second = (spare as unknown as { connection: { stream: Socket } }).connection.stream;
    second.removeAllListeners('data');
    this.#track(second);
    const first = connect(target.port, target.host);
    this.#track(first);
    let upstream: Socket = first;
    let ready = 0; // ReadyForQuery messages from the first session: after the handshake, then after each query
    let pending = Buffer.alloc(0);
    first.on('data', (chunk: Buffer) => {
      if (upstream !== first) return;
      client.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      let consumed = 0;
      for (const { type, end } of messageTypes(pending)) {
        consumed = end;
        if (type === 'Z') ready += 1;
      }
      pending = pending.subarray(consumed);
      if (ready >= 1 + firstQueries) upstream = second; // the next transaction goes to another server session
    });
    second.on('data', (chunk: Buffer) => {
      if (upstream === second) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.on('close', () => {
      first.destroy();
      second.destroy();
    });
    client.resume();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
