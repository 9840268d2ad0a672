import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { PoolingProxy } from '../helpers/pooling-proxy.js';
import { postgresUrl } from '../helpers/postgres.js';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const unique = (what: string): string => `${what} ${process.pid}-${Date.now()}-${Math.random()}`;

describe('a transaction-pooling proxy in front of the server (the second query reaches another session)', () => {
  it('lock() refuses the pooled session with EBACKENDPOOLED, and the lock is not left held', async () => {
    const proxy = await PoolingProxy.start();
    const name = unique('pooled');
    expect(await codeOf(lock(name, { backend: 'postgres', url: proxy.url(), exact: true, timeout: '5s' }))).toBe(
      'EBACKENDPOOLED',
    );
    // Refused means let go: the next holder, connected directly, gets the lock at once.
    const held = await lock(name, { backend: 'postgres', url: postgresUrl(), exact: true, timeout: 0 });
    held.release();
  });

  it('lock() refuses a session that changes after a first hold (its prepared lock statement is gone there)', async () => {
    // Handshake, pg_backend_pid(), the lock call and the unlock reach one session; the next lock call another.
    const proxy = await PoolingProxy.start(undefined, 3);
    const name = unique('pooled-later');
    const options = { backend: 'postgres' as const, url: proxy.url(), exact: true, timeout: '5s' };
    (await lock(name, options)).release();
    expect(await codeOf(lock(name, options))).toBe('EBACKENDPOOLED');
    const held = await lock(name, { backend: 'postgres', url: postgresUrl(), exact: true, timeout: 0 });
    held.release();
  });

  it('dblock exec refuses it (exit 69, one line) before CMD runs: for a lock and for a write intent', async () => {
    const proxy = await PoolingProxy.start();
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const viaLock = await runDblock([
      'exec',
      '--backend',
      'postgres',
      '--url',
      proxy.url(),
      '--lock',
      unique('l'),
      '--',
      'touch',
      marker,
    ]);
    expect(viaLock.code).toBe(69);
    expect(viaLock.stderr).toMatch(
      /^dblock: postgres: the session for lock .* changed under us \(a transaction-pooling proxy such as PgBouncer\?\).*\n$/,
    );
    const viaIntent = await runDblock([
      'exec',
      '--registry',
      proxy.url(),
      '--scope',
      unique('s'),
      '--scope-root',
      dir,
      '--writes',
      join(dir, 'a.json'),
      '--',
      'touch',
      marker,
    ]);
    expect(viaIntent.code).toBe(69);
    expect(viaIntent.stderr).toMatch(/^dblock: postgres: the session of a write intent changed under us .*\n$/);
    expect(existsSync(marker)).toBe(false);
  });
});
