import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStress } from '../../src/index.js';
import { readWaitReports } from '../../src/lock/wait-report.js';
import { runOp } from '../../src/stress/command-op.js';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the lock wait of a command run under dblock exec (DBLOCK_WAIT_REPORT)', () => {
  it('dblock exec appends one JSON line per lock to the report file, and does not pass the variable to CMD', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const report = join(dir, 'waits.jsonl');
    const env = { ...process.env, DBLOCK_WAIT_REPORT: report };
    const run = await runDblock(['exec', '--db', db, '--', 'sh', '-c', 'echo "[$DBLOCK_WAIT_REPORT]"'], { env });
    expect(run).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
    const lines = readWaitReports(report);
    expect(lines).toEqual([{ lockPath: `${db}.lock`, mode: 'exclusive', waitedMs: expect.any(Number), reentrant: false }]);
  });

  it('a report file that cannot be written, or a FIFO nobody reads, never fails or stalls the command', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const report of [join(dir, 'missing-dir', 'waits.jsonl'), fifo]) {
      const env = { ...process.env, DBLOCK_WAIT_REPORT: report };
      const run = await runDblock(['exec', '--db', join(dir, 'app.db'), '--', 'true'], { env });
      expect(run.code).toBe(0);
    }
  });

  it('a report variable naming a database or any other non-report file leaves it byte-for-byte; a report grows', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const victim = join(dir, 'victim.db');
    execFileSync('sqlite3', [victim, 'CREATE TABLE t(x); INSERT INTO t VALUES (1);']);
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes\n');
    for (const target of [victim, notes]) {
      const before = readFileSync(target);
      const run = await runDblock(['exec', '--db', db, '--', 'true'], { env: { ...process.env, DBLOCK_WAIT_REPORT: target } });
      expect(run.code).toBe(0);
      expect(readFileSync(target).equals(before)).toBe(true);
    }
    const report = join(dir, 'waits.jsonl');
    for (let i = 0; i < 2; i++) {
      const run = await runDblock(['exec', '--db', db, '--', 'true'], { env: { ...process.env, DBLOCK_WAIT_REPORT: report } });
      expect(run.code).toBe(0);
    }
    expect(readWaitReports(report)).toHaveLength(2);
  });

  it('stress reads the wait from the report, whatever the human -v line says', async () => {
    // A stand-in for dblock exec whose human line is worded otherwise (and names another time).
    const dir = tempDir();
    const fake = join(dir, 'fake-exec.mjs');
    writeFileSync(
      fake,
      `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.DBLOCK_WAIT_REPORT, JSON.stringify({ lockPath: '/x.lock', mode: 'exclusive', waitedMs: 12.5, reentrant: false }) + '\\n');
process.stderr.write('dblock: exclusive lock /x.lock acquired in 99.0ms\\ndblock: got /x.lock after 99 ms\\n');
`,
    );
    const report = join(dir, 'op.jsonl');
    const result = await runOp([process.execPath, fake], {}, undefined, report);
    expect(result.status).toBe(0);
    expect(result.waitMs).toBe(12.5);
    expect(result.stderr).toBe('dblock: exclusive lock /x.lock acquired in 99.0ms\ndblock: got /x.lock after 99 ms');
    expect(existsSync(report)).toBe(false);
  });

  it('a stress run over a command reports a lock wait for every operation', async () => {
    const counter = join(tempDir(), 'counter');
    writeFileSync(counter, '0');
    const script = 'n=$(cat "$DBLOCK_DB"); echo $((n + 1)) > "$DBLOCK_DB"';
    const report = await runStress({ db: counter, workers: 3, ops: 4, command: ['sh', '-c', script] });
    expect(report.problems).toEqual([]);
    expect(readFileSync(counter, 'utf8').trim()).toBe('12');
    expect(report.lockWaitMs).not.toBeNull();
    expect(report.lockWaitHistogram?.counts.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
