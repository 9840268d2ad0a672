import { type ChildProcess, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { BIN, finished, nextMessage, runDblock, startFixture, startProcess, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Whether util-linux flock(1) could take `file` right now in `mode` (an outside, non-blocking probe). */
function flockCan(file: string, mode: '-x' | '-s'): boolean {
  return spawnSync('flock', ['-n', mode, file, 'true']).status === 0;
}

async function holdFixture(target: string, options: Record<string, unknown>): Promise<ChildProcess> {
  const child = startFixture('hold-lock', [target, JSON.stringify(options)]);
  const first = await nextMessage(child);
  expect(first).toMatchObject({ ready: true });
  return child;
}

describe('never two holders', () => {
  it('refuses a database with two hard-linked names (each name would get its own lock)', async () => {
    const dir = tempDir();
    const db = join(dir, 'cnt');
    writeFileSync(db, '0\n');
    linkSync(db, join(dir, 'cnt_hard'));
    expect(await codeOf(lock(db))).toBe('EBADTARGET');
    expect(await codeOf(lock(join(dir, 'cnt_hard')))).toBe('EBADTARGET');
    const cli = await runDblock(['exec', '--db', join(dir, 'cnt_hard'), '--', 'true']);
    expect(cli.code).toBe(66);
    expect(cli.stderr).toMatch(/2 hard links/);
  });

  it('refuses a planted hard-linked sidecar and leaves the linked file untouched', async () => {
    const dir = tempDir();
    const victim = join(dir, 'passwd');
    writeFileSync(victim, 'root:x:0:0\n');
    linkSync(victim, join(dir, 'app.db.lock'));
    expect(await codeOf(lock(join(dir, 'app.db')))).toBe('ESIDECAR');
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
  });

  it('never writes a notice byte into a file planted as the door (.turn) by hard link', async () => {
    const dir = tempDir();
    const victim = join(dir, 'notes.txt');
    writeFileSync(victim, 'precious\n');
    linkSync(victim, join(dir, 'app.db.lock.turn'));
    const held = await lock(join(dir, 'app.db'));
    held.release();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('excludes a --lock-dir holder and a holder without it, both ways', async () => {
    const dir = tempDir();
    const locks = join(dir, 'locks');
    mkdirSync(locks);
    const db = join(dir, 'app.db');
    const withDir = await holdFixture(db, { lockDir: locks });
    expect(await codeOf(lock(db, { timeout: 0 }))).toBe('ELOCKTIMEOUT');
    withDir.send('release');
    await nextMessage(withDir, (m) => m.released === true);
    const without = await holdFixture(db, {});
    expect(await codeOf(lock(db, { timeout: 0, lockDir: locks }))).toBe('ELOCKTIMEOUT');
    without.send('release');
    await nextMessage(without, (m) => m.released === true);
    const both = await lock(db, { timeout: 0, lockDir: locks });
    both.release();
  });

  it('passes both sidecars of a --lock-dir exec down, so a nested exec without --lock-dir passes through', async () => {
    const dir = tempDir();
    const locks = join(dir, 'locks');
    mkdirSync(locks);
    const db = join(dir, 'app.db');
    const nested = `"${process.execPath}" "${BIN}" exec --db "${db}" --timeout 0 -- echo nested-ok`;
    const result = await runDblock(['exec', '--db', db, '--lock-dir', locks, '--', 'sh', '-c', nested]);
    expect(result.stdout).toBe('nested-ok\n');
    expect(result.code).toBe(0);
  });
});

describe('DBLOCK_HELD cannot be used to change an ancestor lock', () => {
  it('a child that rewrites exclusive to shared does not convert its parent’s lock', async () => {
    const db = join(tempDir(), 'app.db');
    const lockPath = `${db}.lock`;
    // The child claims fd 3 is shared, then runs a nested shared exec on the same target, then reports
    // whether an outside process could now take a shared lock (it must not: the parent holds it exclusively).
    const script = [
      'DBLOCK_HELD=$(printf %s "$DBLOCK_HELD" | sed s/exclusive/shared/)',
      'export DBLOCK_HELD',
      `"${process.execPath}" "${BIN}" exec --db "${db}" --shared --timeout 0 -- true`,
      `if flock -n -s "${lockPath}" true; then echo converted; else echo still-exclusive; fi`,
    ].join('; ');
    const result = await runDblock(['exec', '--db', db, '--', 'sh', '-c', script]);
    expect(result.stdout.trim()).toBe('still-exclusive');
  });

  it('a child that claims exclusive under a shared parent neither passes through nor drops the parent’s lock', async () => {
    const db = join(tempDir(), 'app.db');
    const lockPath = `${db}.lock`;
    const reader = await holdFixture(db, { shared: true });
    const script = [
      'DBLOCK_HELD=$(printf %s "$DBLOCK_HELD" | sed s/shared/exclusive/)',
      'export DBLOCK_HELD',
      `"${process.execPath}" "${BIN}" exec --db "${db}" --timeout 0 -- echo passed-through`,
      'echo nested=$?',
      'echo checked',
      'read x; exit 0',
    ].join('; ');
    const parent = startProcess(process.execPath, [BIN, 'exec', '--db', db, '--shared', '--', 'sh', '-c', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    await waitForLine(parent, (line) => {
      lines.push(line);
      return line === 'checked';
    });
    expect(lines).not.toContain('passed-through');
    expect(lines).toContain('nested=64'); // EUPGRADE: the kernel says the parent holds it shared
    reader.send('release');
    await nextMessage(reader, (m) => m.released === true);
    // The other reader is gone: if the parent had lost its shared lock, an exclusive probe would succeed.
    expect(flockCan(lockPath, '-x')).toBe(false);
    parent.stdin?.end();
    expect((await finished(parent)).code).toBe(0);
  });

  it('a spoofed entry with a closed descriptor neither passes through nor refuses an exclusive request', async () => {
    const db = join(tempDir(), 'app.db');
    const held = JSON.stringify([{ path: `${db}.lock`, fd: 9, mode: 'shared' }]);
    const result = await runDblock(['exec', '--db', db, '--timeout', '0', '--', 'true'], {
      env: { ...process.env, DBLOCK_HELD: held },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('waits that must not happen', () => {
  it('fails at once when an ancestor holds the lock but a process in between closed its descriptor', async () => {
    const db = join(tempDir(), 'app.db');
    // Python's subprocess closes every descriptor above 2 unless told otherwise (close_fds=True).
    const python = `import subprocess, sys; r = subprocess.run([sys.argv[1], sys.argv[2], 'exec', '--json', '--db', sys.argv[3], '--timeout', '20s', '--', 'true'], capture_output=True, text=True); print(r.returncode); print(r.stdout)`;
    const result = await runDblock(['exec', '--db', db, '--', 'python3', '-c', python, process.execPath, BIN, db]);
    const [code, ...json] = result.stdout.split('\n');
    expect(code).toBe('75');
    expect(JSON.parse(json.join('\n')).error.code).toBe('EDEADLOCK');
  });

  it('a try-once takes a free lock even while a stopped waiter holds the door', async () => {
    const db = join(tempDir(), 'app.db');
    (await lock(db)).release(); // create the sidecars
    const door = startProcess('flock', [`${db}.lock.turn`, 'sh', '-c', 'echo door; read x'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(door, (line) => line === 'door');
    door.kill('SIGSTOP');
    try {
      const result = await runDblock(['exec', '--db', db, '--timeout', '0', '--', 'true']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      door.kill('SIGCONT');
      door.stdin?.end();
    }
  });

  it('a waiting writer keeps new readers out, so readers cannot starve it', async () => {
    const db = join(tempDir(), 'app.db');
    const order: string[] = [];
    const first = await holdFixture(db, { shared: true });
    const writer = startFixture('hold-lock', [db, '{"timeout":"30s"}']);
    const writerIn = nextMessage(writer).then(() => order.push('writer'));
    // The writer has taken the door once a non-blocking probe of it fails.
    while (flockCan(`${db}.lock.turn`, '-x')) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = startFixture('hold-lock', [db, '{"shared":true,"timeout":"30s"}']);
    const secondIn = nextMessage(second).then(() => order.push('reader'));
    // Give the second reader time past its door patience (250 ms), where it used to step in beside the first.
    await new Promise((resolve) => setTimeout(resolve, 800));
    first.send('release');
    await writerIn;
    writer.send('release');
    await secondIn;
    expect(order).toEqual(['writer', 'reader']);
  });
});

describe('relative spellings', () => {
  it('a relative lockDir is resolved again after process.chdir (two processes never lock different files)', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    for (const sub of ['one', 'two', 'one/locks', 'two/locks']) mkdirSync(join(dir, sub));
    const cwd = process.cwd();
    try {
      process.chdir(join(dir, 'one'));
      const first = await lock(db, { lockDir: 'locks' });
      first.release();
      process.chdir(join(dir, 'two'));
      const second = await lock(db, { lockDir: 'locks' });
      second.release();
      expect(first.lockPath.startsWith(join(dir, 'one', 'locks'))).toBe(true);
      expect(second.lockPath.startsWith(join(dir, 'two', 'locks'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});
