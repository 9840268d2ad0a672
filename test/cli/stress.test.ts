import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { constants, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { afterThisTest, concurrentIt } from '../helpers/after-test.js';
import { captureIo } from '../helpers/capture-io.js';
import { finished, runDblock, startDblock, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

// Carriage returns and escape sequences belong to a terminal's progress bar, never to CI logs.
const hasControl = (text: string): boolean => text.includes('\r') || text.includes('\u001b');

describe('dblock stress', () => {
  it('prints a JSON report with every field, exits 0, removes its temporary database, and writes no control character', async () => {
    const run = await runDblock(['stress', '--workers', '3', '--ops', '8', '--txn-rows', '2', '--seed', '9', '--json']);
    expect(run.code).toBe(0);
    expect(hasControl(run.stdout + run.stderr)).toBe(false);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      mode: 'serialized',
      workers: 3,
      ops: 8,
      txnRows: 2,
      seed: 9,
      kept: false,
      command: null,
      busyErrors: 0,
      failedOps: 0,
      kills: 0,
      quickCheck: 'ok',
      integrityCheck: 'ok',
      journalMode: 'wal',
      rowsExpected: 48,
      rowsCommitted: 48,
      rowsFound: 48,
      locks: 'free',
      problems: [],
    });
    for (const key of ['durationMs', 'rowsPerSec', 'opsPerSec', 'retries']) expect(typeof report[key]).toBe('number');
    for (const key of ['txnLatencyMs', 'lockWaitMs']) {
      expect(Object.keys(report[key]).sort()).toEqual(['max', 'p50', 'p99']);
      expect(report[key].p50).toBeLessThanOrEqual(report[key].max);
    }
    expect(existsSync(report.db)).toBe(false);
    expect(run.stderr).toContain('dblock: stress 24/24 ops (100%), 0 failed, 0 killed\n');
  });

  it('runs the user command exactly workers × ops times under the lock: a read-modify-write counter ends exact', async () => {
    const dir = tempDir();
    const counter = join(dir, 'counter');
    const log = join(dir, 'ops.log');
    writeFileSync(counter, '0\n');
    const script = `n=$(cat "$DBLOCK_DB"); echo "$DBLOCK_WORKER $DBLOCK_OP" >> ${log}; echo $((n + 1)) > "$DBLOCK_DB"`;
    const run = await runDblock(['stress', '--db', counter, '--workers', '3', '--ops', '4', '--', 'sh', '-c', script]);
    expect(hasControl(run.stdout + run.stderr)).toBe(false);
    expect(run.code).toBe(0);
    expect(readFileSync(counter, 'utf8')).toBe('12\n');
    const ops = readFileSync(log, 'utf8').trim().split('\n').sort();
    expect(ops).toEqual(['0 0', '0 1', '0 2', '0 3', '1 0', '1 1', '1 2', '1 3', '2 0', '2 1', '2 2', '2 3']);
    expect(run.stdout).toMatch(/result\s+OK/);
    expect(run.stdout).toMatch(/quick_check\s+n\/a/);
  });

  it('fails (65) when any command exits non-zero, naming it', async () => {
    const { io, out } = captureIo();
    const dir = tempDir();
    const code = await main(
      [
        'node',
        'dblock',
        'stress',
        '--db',
        join(dir, 'x'),
        '--workers',
        '2',
        '--ops',
        '2',
        '--json',
        '--',
        'sh',
        '-c',
        'test "$DBLOCK_OP" != 1',
      ],
      io,
    );
    expect(code).toBe(65);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({ ok: false, failedOps: 2, locks: 'free', command: ['sh', '-c', 'test "$DBLOCK_OP" != 1'] });
    expect(report.problems).toContain('worker 0 op 1 exited with 1');
  });

  it.each([
    [['--workers', '0'], 64],
    [['--ops', '-3'], 64],
    [['--txn-rows', '0'], 64],
    [['--mode', 'fast'], 64],
    [['--workers', '2', '--kill', '3'], 64],
    [['--kill', '1', '--', 'true'], 64],
    [['--db', '/nonexistent-dblock-dir/app.db'], 66],
    [['--backend', 'nfs'], 64],
    [['--stale', '3s'], 64],
    [['--backend', 'mkdir', '--stale', '1s'], 64],
  ])('refuses %j with exit %i and one line', async (args, exitCode) => {
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', 'stress', ...args], io)).toBe(exitCode);
    expect(out.stderr).toMatch(/^dblock: [^\n]+\n$/);
    expect(out.stdout).toBe('');
  });

  it('runs more than 10 command lanes without a listener-leak warning', async () => {
    const run = await runDblock(['stress', '--db', join(tempDir(), 'target'), '--workers', '12', '--ops', '1', '--', 'true']);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('Warning');
  });

  it('uses --lock-dir (and the sidecars beside the database) for every lock of the run, and --backend mkdir for its locks', {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir();
    const locks = tempDir();
    const db = join(dir, 'app.db');
    const inDir = await runDblock(['stress', '--db', db, '--lock-dir', locks, '--workers', '3', '--ops', '10', '--json']);
    expect(inDir.code).toBe(0);
    expect(JSON.parse(inDir.stdout)).toMatchObject({ ok: true, rowsFound: 30, locks: 'free' });
    // The sidecars beside the database are taken too, so a writer without --lock-dir is still excluded.
    expect(readdirSync(dir).filter((name) => name === 'app.db.lock' || name === 'app.db.init.lock')).toHaveLength(2);
    expect(readdirSync(locks).filter((name) => name.endsWith('-app.db.lock') || name.endsWith('-app.db.init.lock'))).toHaveLength(
      2,
    );

    const other = join(tempDir(), 'other.db');
    const mkdir = await runDblock(['stress', '--db', other, '--backend', 'mkdir', '--workers', '3', '--ops', '10', '--json']);
    expect(mkdir.code).toBe(0);
    expect(JSON.parse(mkdir.stdout)).toMatchObject({ ok: true, rowsFound: 30, locks: 'free' });
    // flock would have left its sidecar files; mkdir's lock directories are gone once released.
    expect(readdirSync(dirname(other)).filter((name) => name.includes('.lock'))).toEqual([]);
  });

  /** Processes whose command line contains `marker` (pgrep -f), other than pgrep itself. */
  const running = (marker: string): string => spawnSync('pgrep', ['-af', marker], { encoding: 'utf8' }).stdout.trim();

  it('stops on SIGINT: workers killed, the temporary database removed, exit 130', { timeout: 120_000 }, async () => {
    const tmp = tempDir();
    const child = startDblock(['stress', '--workers', '2', '--ops', '10000000', '--verbose'], {
      env: { ...process.env, TMPDIR: tmp },
    });
    const line = await waitForLine(child, (l) => l.includes('workers writing'), 'stderr');
    const db = line.slice(line.indexOf('/'));
    expect(existsSync(db)).toBe(true);
    expect(running(db)).not.toBe('');
    const done = finished(child);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stress run stopped by SIGINT; the temporary database was removed');
    expect(existsSync(dirname(db))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(running(db)).toBe('');
  });

  it('stops a command run on SIGTERM: the running commands get it too, exit 143', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const marker = `dblock-stress-test-${process.pid}-${Date.now()}`;
    // The command says it runs through a FIFO (its stdout is not ours), read without blocking.
    const fifo = join(dir, 'started');
    execFileSync('mkfifo', [fifo]);
    const started = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    const child = startDblock([
      'stress',
      '--db',
      join(dir, 'target'),
      '--workers',
      '2',
      '--ops',
      '1000',
      '--',
      process.execPath,
      '-e',
      "require('fs').writeFileSync(process.argv[1], 'x'); setInterval(() => {}, 1000)",
      fifo,
      marker,
    ]);
    await once(started, 'data');
    started.destroy();
    const done = finished(child);
    child.kill('SIGTERM');
    const run = await done;
    expect(run.code).toBe(143);
    expect(run.stderr).toContain('stress run stopped by SIGTERM');
    expect(run.stdout).toBe('');
    expect(running(marker)).toBe('');
  });

  /**
   * `dblock stress` with one lane whose command ignores SIGTERM, started and running: the command says
   * so through a FIFO (its stdout is not ours). Its processes carry a unique marker, killed afterwards.
   */
  const startStubbornRun = async (dir: string): Promise<{ child: ChildProcess; marker: string }> => {
    const marker = `dblock-stress-stubborn-${process.pid}-${Date.now()}`;
    afterThisTest(() => spawnSync('pkill', ['-KILL', '-f', marker]));
    const fifo = join(dir, 'started');
    execFileSync('mkfifo', [fifo]);
    const reader = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    const started = once(reader, 'data').finally(() => reader.destroy());
    const code =
      "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], 'x'); setInterval(() => {}, 1000);";
    const command = [process.execPath, '-e', code, fifo, marker];
    const child = startDblock(['stress', '--db', join(dir, 'target'), '--workers', '1', '--ops', '1', '--', ...command]);
    await started;
    return { child, marker };
  };

  it('ends at once on a second signal when a command ignores the first', { timeout: 120_000 }, async () => {
    const { child } = await startStubbornRun(tempDir());
    const done = finished(child);
    child.kill('SIGTERM');
    await waitForLine(child, (l) => l.includes('SIGTERM: stopping the workers'), 'stderr');
    child.kill('SIGINT');
    expect((await done).signal).toBe('SIGINT');
  });

  // This one and the next mostly wait (stale periods, a grace period): they run side by side.
  concurrentIt(
    "passes its own chaos on the mkdir backend: every killed worker's lock is taken over within the run's waits",
    async () => {
      // Before: each kill blocked the lock for up to the 10 s default stale period, and waiters gave up at 30 s.
      const args = ['--backend', 'mkdir', '--workers', '5', '--ops', '6', '--kill', '5', '--seed', '1', '--json'];
      const run = await runDblock(['stress', ...args]);
      expect(JSON.parse(run.stdout)).toMatchObject({
        ok: true,
        kills: 5,
        failedOps: 0,
        rowsFound: 30,
        locks: 'free',
        problems: [],
      });
      expect(run.code).toBe(0);
    },
    150_000,
  );

  concurrentIt(
    'SIGKILLs a dblock exec whose command ignores SIGTERM after a grace period, then exits 143',
    async () => {
      const dir = tempDir();
      const { child } = await startStubbornRun(dir);
      const done = finished(child);
      child.kill('SIGTERM');
      expect((await done).code).toBe(143);
      expect(running(`dblock.js exec --db ${join(dir, 'target')}`)).toBe('');
    },
    120_000,
  );
});
