import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BIN,
  finished,
  nextMessage,
  runDblock,
  startDblock,
  startFixture,
  startProcess,
  waitForLine,
} from '../helpers/processes.js';
import { sqlite3 } from '../helpers/sqlite-files.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A library holder of `target`'s lock (a holder record names it); released on 'release'. */
async function holdLock(target: string, options: Record<string, unknown> = {}) {
  const holder = startFixture('hold-lock', [target, JSON.stringify(options)]);
  const { lockPath } = await nextMessage<{ lockPath: string }>(holder, (m) => 'ready' in m);
  return { holder, lockPath, release: () => holder.send('release') };
}

/** Run a dblock command that must wait for `target`'s lock: -v says while it waits and after. */
async function waitsVerbosely(args: string[], target: string, options: Record<string, unknown> = {}) {
  const { holder, lockPath, release } = await holdLock(target, options);
  const child = startDblock([...args, '-v']);
  const done = finished(child);
  const waiting = await waitForLine(child, (line) => line.includes('waiting for'), 'stderr');
  release();
  const result = await done;
  return { waiting, result, lockPath, holderPid: holder.pid };
}

describe('-v on every command that takes a lock', () => {
  it('append: the waiting line names the lock and its holder; then how long it took and whom it waited for', async () => {
    const file = join(tempDir(), 'events.jsonl');
    const { waiting, result, lockPath, holderPid } = await waitsVerbosely(['append', file, '{"n":1}'], file);
    expect(waiting).toContain(`waiting for ${lockPath}, held by pid ${holderPid}`);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`exclusive lock ${lockPath} acquired in [\\d.]+ms \\(waited for pid ${holderPid} `));
  });

  it('checkpoint waits for the write lock and init for the init lock, and say so', async () => {
    const db = join(tempDir(), 'app.db');
    sqlite3(db, 'PRAGMA journal_mode=wal; CREATE TABLE t (x)');
    const checkpoint = await waitsVerbosely(['checkpoint', '--db', db], db);
    expect(checkpoint.waiting).toContain(`waiting for ${db}.lock, held by pid ${checkpoint.holderPid}`);
    expect(checkpoint.result.code).toBe(0);
    expect(checkpoint.result.stderr).toMatch(/exclusive lock .*app\.db\.lock acquired in [\d.]+ms \(waited for pid/);

    const init = await waitsVerbosely(['init', '--db', db], db, { sidecar: 'init' });
    expect(init.waiting).toContain(`waiting for ${db}.init.lock, held by pid ${init.holderPid}`);
    expect(init.result.code).toBe(0);
    expect(init.result.stderr).toMatch(/exclusive lock .*app\.db\.init\.lock acquired in [\d.]+ms \(waited for pid/);
  });

  it('exec without -v and off a terminal prints nothing while it waits', async () => {
    const db = join(tempDir(), 'app.db');
    const { release } = await holdLock(db);
    const child = startDblock(['exec', '--db', db, '--', 'echo', 'ran']);
    const done = finished(child);
    // -v on a second waiter proves a notice would have been due by now.
    const witness = startDblock(['exec', '-v', '--db', db, '-w', '30s', '--', 'true']);
    const witnessDone = finished(witness);
    await waitForLine(witness, (line) => line.includes('waiting for'), 'stderr');
    release();
    expect(await done).toMatchObject({ code: 0, stdout: 'ran\n', stderr: '' });
    expect((await witnessDone).code).toBe(0);
  });
});

/** Resolve once `text` has appeared in `stream` (which may not end its lines). */
function waitForText(stream: Readable | null, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (!seen.includes(text)) return;
      stream?.off('data', onData);
      resolve();
    };
    stream?.on('data', onData);
    stream?.once('end', () => reject(new Error(`stream ended before ${JSON.stringify(text)}`)));
  });
}

describe('the waiting line on a terminal', () => {
  /** `dblock exec --db DB -- true` on a pseudo-terminal (script(1)) while a holder has the lock. */
  async function onTerminal(term: string): Promise<string> {
    const db = join(tempDir(), 'app.db');
    const { release } = await holdLock(db);
    const line = `"${process.execPath}" "${BIN}" exec --db "${db}" -- echo ran`;
    const session = startProcess('script', ['-qec', line, '/dev/null'], { env: { ...process.env, TERM: term } });
    const done = finished(session);
    await waitForText(session.stdout, 'waiting for'); // drawn in place: no newline to wait for
    release();
    const result = await done;
    expect(result.code).toBe(0);
    return result.stdout;
  }

  it('is drawn in place and erased once the lock is held', async () => {
    const output = await onTerminal('xterm');
    const drawn = output.indexOf('\r\x1b[Kdblock: waiting for ');
    expect(drawn).toBeGreaterThanOrEqual(0);
    // Erased (\r + clear line) after its last update, before the command's own output.
    const erased = output.lastIndexOf('\r\x1b[K');
    expect(erased).toBeGreaterThan(drawn);
    expect(output.slice(erased + 4)).toMatch(/^\r?\n?ran/);
  });

  it('is one plain line without cursor escapes when TERM=dumb', async () => {
    const output = await onTerminal('dumb');
    expect(output).toContain('dblock: waiting for ');
    expect(output).not.toContain('\x1b[');
  });
});

describe('-q prints nothing but errors, on every command', () => {
  it('check, status, init and checkpoint report nothing with -q; errors still print', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    for (const args of [
      ['init', '--db', db, '-q'],
      ['check', '--db', db, '-q'],
      ['status', '--db', db, '-q'],
      ['checkpoint', '--db', db, '-q'],
    ]) {
      expect({ args, ...(await runDblock(args)) }).toMatchObject({ args, code: 0, stdout: '', stderr: '' });
    }
    // `dblock check -q || alert`: a failed check says it with its exit code alone.
    const notDb = join(dir, 'notes.txt');
    writeFileSync(notDb, 'not a database, just text that is long enough to have a header\n'.repeat(4));
    expect(await runDblock(['check', '--db', notDb, '-q'])).toMatchObject({ code: 65, stdout: '' });
    const error = await runDblock(['check', '-q']);
    expect(error.code).toBe(64);
    expect(error.stderr).toContain('needs --db');
  });
});

describe('dblock status --check', () => {
  it('exits 0 when the lock is free and 1 when anyone holds it, so a script can test it', async () => {
    const lockfile = join(tempDir(), 'nightly.lock');
    expect(await runDblock(['status', '--lock', lockfile, '--check', '-q'])).toMatchObject({ code: 0, stdout: '' });
    const { release } = await holdLock(lockfile, { exact: true, shared: true });
    expect(await runDblock(['status', '--lock', lockfile, '--check', '-q'])).toMatchObject({ code: 1, stdout: '', stderr: '' });
    expect((await runDblock(['status', '--lock', lockfile])).code).toBe(0); // without --check: a report
    release();
  });
});
