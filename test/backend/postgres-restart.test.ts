import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres-server.js';

// A server of its own: this file crashes it. Like the run's server, it commits asynchronously
// (synchronous_commit=off), so a commit whose WAL was not yet flushed is lost in the crash.
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);

describe('postgres fence across a server crash (pg_ctl stop -m immediate)', () => {
  it('hands out a fence greater than every fence handed out before the crash', async () => {
    const name = `restart ${process.pid} ${Date.now()}`;
    const options = { backend: 'postgres' as const, url: server.url, exact: true, timeout: '10s' };
    let highest = 0n;
    for (let i = 0; i < 20; i++) {
      const held = await lock(name, options);
      highest = held.fence ?? -1n;
      held.release();
    }
    await server.crash();
    await server.restart();
    const after = await lock(name, options);
    try {
      expect(after.fence).toBeGreaterThan(highest);
    } finally {
      after.release();
    }
  }, 120_000);
});
