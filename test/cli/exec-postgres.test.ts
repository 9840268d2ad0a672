import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockKeyOf } from '../../src/backend/postgres/lock-key.js';
import { lock } from '../../src/index.js';
import { concurrentIt } from '../helpers/after-test.js';
import { codeOf } from '../helpers/error-code.js';
import { grantedPids, observer, postgresUrl, TcpProxy } from '../helpers/postgres.js';
import { BIN, finished, runDblock, startDblock, startProcess, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

let counter = 0;
const uniqueName = (what: string): string => `${what} ${process.pid}-${counter++}-${Date.now()}`;
const pgEnv = (url = postgresUrl()): NodeJS.ProcessEnv => ({ ...process.env, DBLOCK_POSTGRES_URL: url });
const exec = (name: string, ...rest: string[]): string[] => ['exec', '--backend', 'postgres', '--lock', name, ...rest];

/** A CMD that says "ready", then runs until `stopFile` exists (its own loop; the test never sleeps). */
function waitingChild(stopFile: string, onTerm = 'echo got-term; exit 0'): string[] {
  return ['sh', '-c', `trap '${onTerm}' TERM; echo ready $$; while [ ! -e '${stopFile}' ]; do sleep 0.05; done`];
}

/** Running (not gone, not a zombie: an orphan's exit is reaped by whoever adopted it, in its own time). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('dblock exec --backend postgres', () => {
  it('excludes: 8 processes × 20 read-modify-write increments through dblock exec end exact', async () => {
    const dir = tempDir();
    const file = join(dir, 'counter');
    writeFileSync(file, '0');
    const name = uniqueName('counter');
    const increment = `n=$(cat "${file}"); echo $((n + 1)) > "${file}"`;
    const loop = `for i in $(seq 20); do "${process.execPath}" "${BIN}" exec --backend postgres --lock "${name}" --timeout 120s -- sh -c '${increment}' || exit 1; done`;
    const workers = Array.from({ length: 8 }, () => finished(startProcess('sh', ['-c', loop], { env: pgEnv() })));
    for (const result of await Promise.all(workers)) expect(result).toMatchObject({ code: 0 });
    expect(Number(readFileSync(file, 'utf8'))).toBe(160);
  }, 240_000); // 160 runs of dblock, each starting node and connecting: minutes on a loaded 2-core box

  // The rest each use their own lock name, server sessions and children: they run side by side.
  concurrentIt('times out with exit 75 naming the holder, and a try-once too', async () => {
    const name = uniqueName('busy');
    const stop = join(tempDir(), 'stop');
    const holder = startDblock([...exec(name), '--', ...waitingChild(stop)], { env: pgEnv() });
    await waitForLine(holder, (line) => line.startsWith('ready'));
    const waited = await runDblock([...exec(name, '--timeout', '300ms'), '--', 'true'], { env: pgEnv() });
    expect(waited.code).toBe(75);
    expect(waited.stderr).toMatch(/timed out after .* \(held by pid \d+ "sh -c .*" on host /);
    const tried = await runDblock([...exec(name, '--timeout', '0'), '--', 'true'], { env: pgEnv() });
    expect(tried.code).toBe(75);
    writeFileSync(stop, '');
    expect((await finished(holder)).code).toBe(0);
  });

  concurrentIt('hands CMD a fence that strictly increases across holders, with its name', async () => {
    const name = uniqueName('fence');
    const fences: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const run = await runDblock([...exec(name), '--', 'sh', '-c', 'echo "$DBLOCK_FENCE $DBLOCK_FENCE_NAME"'], { env: pgEnv() });
      expect(run.code).toBe(0);
      const [fence, ...rest] = run.stdout.trim().split(' ');
      expect(rest.join(' ')).toBe(`postgres:${name}`);
      fences.push(BigInt(fence ?? '0'));
    }
    for (let i = 1; i < fences.length; i++) expect((fences[i] ?? 0n) > (fences[i - 1] ?? 0n)).toBe(true);
  });

  concurrentIt('keeps the lock while CMD runs after dblock itself was SIGKILLed, and frees it when CMD ends', async () => {
    const name = uniqueName('orphan');
    const stop = join(tempDir(), 'stop');
    const holder = startDblock([...exec(name), '--', ...waitingChild(stop)], { env: pgEnv() });
    const childPid = Number((await waitForLine(holder, (line) => line.startsWith('ready'))).split(' ')[1]);
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    // 'exit', not 'close': the orphaned CMD still holds dblock's stdout pipe.
    await gone;
    // dblock is gone; its child runs on with the inherited session: the lock must still be held.
    expect(await codeOf(lock(name, { backend: 'postgres', exact: true, url: postgresUrl(), timeout: 300 }))).toBe('ELOCKTIMEOUT');
    writeFileSync(stop, '');
    const next = await lock(name, { backend: 'postgres', exact: true, url: postgresUrl(), timeout: '20s' });
    expect(running(childPid)).toBe(false);
    next.release();
  });

  concurrentIt('stops CMD and exits 69 when the server ends the session (pg_terminate_backend)', async () => {
    const name = uniqueName('terminated');
    const stop = join(tempDir(), 'stop');
    const holder = startDblock([...exec(name, '--lost-grace', '5s'), '--', ...waitingChild(stop)], { env: pgEnv() });
    const done = finished(holder);
    await waitForLine(holder, (line) => line.startsWith('ready'));
    const watch = await observer();
    const [backendPid] = await grantedPids(watch, lockKeyOf(name));
    await watch.query('SELECT pg_terminate_backend($1)', [backendPid]);
    const result = await done;
    expect(result.code).toBe(69);
    expect(result.stdout).toContain('got-term');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/postgres lock ".*" lost: connection dropped; sent SIGTERM to pid \d+/);
  });

  concurrentIt(
    'stops CMD with SIGKILL after the grace when it ignores SIGTERM, once a blackholed connection outlives the lease',
    async () => {
      const name = uniqueName('blackholed');
      const stop = join(tempDir(), 'stop');
      const proxy = await TcpProxy.start();
      const args = [...exec(name, '--lease', '1s', '--lost-grace', '500ms'), '--', ...waitingChild(stop, 'echo ignoring-term')];
      const holder = startDblock(args, { env: pgEnv(proxy.url()) });
      const done = finished(holder);
      await waitForLine(holder, (line) => line.startsWith('ready'));
      proxy.blackhole();
      const result = await done;
      expect(result.code).toBe(69);
      expect(result.stdout).toContain('ignoring-term');
      expect(result.stderr).toMatch(/lost: (no heartbeat answer within the lease|heartbeat failed)/);
      expect(existsSync(stop)).toBe(false);
    },
  );

  concurrentIt('exits 69 when the server cannot be reached and 77 when it refuses the credentials', async () => {
    const proxy = await TcpProxy.start();
    const deadUrl = proxy.url();
    proxy.close();
    const unreachable = await runDblock([...exec(uniqueName('x')), '--', 'true'], { env: pgEnv(deadUrl) });
    expect(unreachable.code).toBe(69);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    const wrong = new URL(postgresUrl());
    wrong.password = 'wrong';
    const refused = await runDblock([...exec(uniqueName('x'), '--url', wrong.toString()), '--', 'true'], { env: process.env });
    expect(refused.code).toBe(77);
    expect(refused.stderr).not.toContain('wrong@');
  });

  concurrentIt(
    'passes a nested call on the same name through (verified with the server), never a stray DBLOCK_HELD',
    async () => {
      const name = uniqueName('nested');
      const nested = `'${process.execPath}' '${BIN}' exec --backend postgres --lock '${name}' --timeout 5s -- echo inner-ran`;
      const run = await runDblock([...exec(name, '--url', postgresUrl()), '--', 'sh', '-c', nested], { env: process.env });
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toContain('inner-ran');

      const stop = join(tempDir(), 'stop');
      const holder = startDblock([...exec(name), '--', ...waitingChild(stop)], { env: pgEnv() });
      await waitForLine(holder, (line) => line.startsWith('ready'));
      const stray = JSON.stringify([{ path: name, fd: 0, mode: 'exclusive' }]);
      const spoofed = await runDblock([...exec(name, '--timeout', '300ms'), '--', 'true'], {
        env: { ...pgEnv(), DBLOCK_HELD: stray },
      });
      expect(spoofed.code).toBe(75);
      writeFileSync(stop, '');
      await finished(holder);
    },
  );

  concurrentIt('shows the holder in dblock status: pid, host, command, since, name and fence', async () => {
    const name = uniqueName('status');
    const stop = join(tempDir(), 'stop');
    const holder = startDblock([...exec(name), '--', ...waitingChild(stop)], { env: pgEnv() });
    const childPid = Number((await waitForLine(holder, (line) => line.startsWith('ready'))).split(' ')[1]);
    const status = await runDblock(['status', '--backend', 'postgres', '--lock', name, '--json'], { env: pgEnv() });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { state: string; holders: Record<string, unknown>[] };
    expect(report.state).toBe('exclusive');
    expect(report.holders).toHaveLength(1);
    expect(report.holders[0]).toMatchObject({ name, mode: 'exclusive', pid: childPid });
    expect(report.holders[0]?.command).toContain('sh -c');
    expect(typeof report.holders[0]?.since).toBe('string');
    expect(report.holders[0]?.fence).toMatch(/^\d+$/);
    writeFileSync(stop, '');
    await finished(holder);
    const after = await runDblock(['status', '--backend', 'postgres', '--lock', name, '--json'], { env: pgEnv() });
    expect(JSON.parse(after.stdout)).toMatchObject({ state: 'free', holders: [] });
  });
});
