import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { runDblock } from '../helpers/processes.js';
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
  ])('refuses %j with exit %i and one line', async (args, exitCode) => {
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', 'stress', ...args], io)).toBe(exitCode);
    expect(out.stderr).toMatch(/^dblock: [^\n]+\n$/);
    expect(out.stdout).toBe('');
  });
});
