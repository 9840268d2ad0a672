import { describe, expect, it } from 'vitest';
import { lockKeyOf } from '../../src/backend/postgres/lock-key.js';
import { PgLockResource } from '../../src/backend/postgres/pg-resource.js';
import type { DblockError } from '../../src/errors.js';
import { codeOf } from '../helpers/error-code.js';
import { grantedPids, observer, postgresUrl, TcpProxy } from '../helpers/postgres.js';

let counter = 0;
const uniqueName = (): string => `session-test ${process.pid} ${counter++} ${Date.now()}`;

function resource(name: string, url = postgresUrl(), leaseMs = 10_000): PgLockResource {
  return new PgLockResource(name, { url, applicationName: 'dblock-test', connectTimeoutMs: 5000, leaseMs }, 'test');
}

const soon = (ms: number) => ({ deadline: performance.now() + ms });

describe('postgres session lock (the server decides)', () => {
  it('maps the name to the key pg_locks shows, and excludes a second session', async () => {
    const name = uniqueName();
    const watch = await observer();
    const a = resource(name);
    const b = resource(name);
    expect(await a.tryAcquire('exclusive')).toBe(true);
    expect(await grantedPids(watch, lockKeyOf(name))).toEqual([a.backendPid]);
    expect(await b.tryAcquire('exclusive')).toBe(false);
    expect(await b.acquire('exclusive', soon(200))).toBe(false);
    a.release();
    expect(await b.tryAcquire('exclusive')).toBe(true);
    b.release();
  });

  it('shares a shared lock and keeps an exclusive one out', async () => {
    const name = uniqueName();
    const a = resource(name);
    const b = resource(name);
    const c = resource(name);
    expect(await a.tryAcquire('shared')).toBe(true);
    expect(await b.tryAcquire('shared')).toBe(true);
    expect(a.fence).toBeUndefined();
    expect(await c.tryAcquire('exclusive')).toBe(false);
    expect(await c.acquire('exclusive', soon(100))).toBe(false);
    a.release();
    b.release();
  });

  it('gives every exclusive acquisition a strictly increasing fence', async () => {
    const name = uniqueName();
    const fences: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const r = resource(name);
      expect(await r.tryAcquire('exclusive')).toBe(true);
      fences.push(r.fence ?? -1n);
      r.release();
    }
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBe((fences[i - 1] ?? 0n) + 1n);
  });

  it('waits in the server and is granted at release', async () => {
    const name = uniqueName();
    const a = resource(name);
    const b = resource(name);
    expect(await a.tryAcquire('exclusive')).toBe(true);
    expect(await b.tryAcquire('exclusive')).toBe(false);
    const waiting = b.acquire('exclusive', soon(20_000));
    a.release();
    expect(await waiting).toBe(true);
    expect((b.fence ?? 0n) > (a.fence ?? 0n) || a.fence === undefined).toBe(true);
    b.release();
  });

  it('an aborted wait leaves the waiter holding nothing, even after the holder lets go', async () => {
    const name = uniqueName();
    const watch = await observer();
    const a = resource(name);
    const b = resource(name);
    expect(await a.tryAcquire('exclusive')).toBe(true);
    expect(await b.tryAcquire('exclusive')).toBe(false);
    const controller = new AbortController();
    const waiting = b.acquire('exclusive', { deadline: Number.POSITIVE_INFINITY, signal: controller.signal });
    controller.abort();
    expect(await waiting).toBe(false);
    a.release();
    const c = resource(name);
    expect(await c.acquire('exclusive', soon(5000))).toBe(true);
    expect(await grantedPids(watch, lockKeyOf(name))).toEqual([c.backendPid]);
    c.release();
  });

  it('fires ELOCKLOST when the server terminates the session', async () => {
    const name = uniqueName();
    const watch = await observer();
    const a = resource(name);
    expect(await a.tryAcquire('exclusive')).toBe(true);
    const lost = new Promise<DblockError>((resolve) => {
      a.onCompromised = resolve;
    });
    await watch.query('SELECT pg_terminate_backend($1)', [a.backendPid]);
    expect((await lost).code).toBe('ELOCKLOST');
  });

  it('fires ELOCKLOST within the lease when the connection is blackholed', async () => {
    const name = uniqueName();
    const proxy = await TcpProxy.start();
    const a = resource(name, proxy.url(), 600);
    expect(await a.tryAcquire('exclusive')).toBe(true);
    const lost = new Promise<DblockError>((resolve) => {
      a.onCompromised = resolve;
    });
    proxy.blackhole();
    const error = await lost;
    expect(error.code).toBe('ELOCKLOST');
    expect(error.message).toMatch(/heartbeat|lease/);
  });

  it('reports an unreachable server as EUNAVAILABLE and refused credentials as EPERM', async () => {
    const proxy = await TcpProxy.start();
    const deadUrl = proxy.url();
    proxy.close();
    expect(await codeOf(resource(uniqueName(), deadUrl).tryAcquire('exclusive'))).toBe('EUNAVAILABLE');
    const wrong = new URL(postgresUrl());
    wrong.password = 'not-the-password';
    expect(await codeOf(resource(uniqueName(), wrong.toString()).tryAcquire('exclusive'))).toBe('EPERM');
  });
});
