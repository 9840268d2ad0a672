import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const NOBODY = 65534;

/** A temp dir that user `nobody` can enter (the path above it must be searchable). */
function worldReadableDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  return dir;
}

describe('sidecar files', () => {
  it('are created non-empty with mode 0666 & ~umask and never deleted', async () => {
    const db = join(tempDir(), 'app.db');
    const held = await lock(db);
    held.release();
    const st = statSync(`${db}.lock`);
    expect(st.size).toBeGreaterThan(0);
    expect(st.mode & 0o777).toBe(0o666 & ~process.umask());
    expect(existsSync(`${db}.lock`)).toBe(true);
  });

  it('refuse a planted symlink and leave its target untouched', async () => {
    const dir = tempDir();
    const victim = join(dir, 'passwd');
    writeFileSync(victim, 'root:x:0:0\n');
    symlinkSync(victim, join(dir, 'app.db.lock'));
    expect(await codeOf(lock(join(dir, 'app.db')))).toBe('ESIDECAR');
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
  });

  it('refuse a dangling symlink sidecar without creating its target', async () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'created-by-attacker'), join(dir, 'app.db.lock'));
    expect(await codeOf(lock(join(dir, 'app.db')))).toBe('ESIDECAR');
    expect(existsSync(join(dir, 'created-by-attacker'))).toBe(false);
  });

  it('refuse a directory (the mkdir backend) and a FIFO without hanging', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a.db.lock'));
    expect(await codeOf(lock(join(dir, 'a.db')))).toBe('EBACKENDMISMATCH');
    execFileSync('mkfifo', [join(dir, 'b.db.lock')]);
    expect(await codeOf(lock(join(dir, 'b.db')))).toBe('ESIDECAR');
  });

  it('work in a read-only directory when the sidecar exists (read-only fd)', async () => {
    const dir = worldReadableDir();
    const db = join(dir, 'app.db');
    writeFileSync(`${db}.lock`, '\n', { mode: 0o644 }); // not writable by nobody
    writeFileSync(`${db}.lock.turn`, '\n', { mode: 0o644 });
    const asNobody = startFixtureAs(NOBODY, db);
    expect(await nextMessage(asNobody)).toMatchObject({ ready: true });
    // It really holds the lock: this process cannot take it.
    expect(await codeOf(lock(db, { timeout: 0 }))).toBe('ELOCKTIMEOUT');
  });

  it('fail with ESIDECAR (exit 73) when the directory is read-only and there is no sidecar', async () => {
    const dir = worldReadableDir();
    const child = startFixtureAs(NOBODY, join(dir, 'app.db'));
    expect(await nextMessage(child)).toMatchObject({ code: 'ESIDECAR' });
  });
});

/**
 * The fixture starts as root and drops to `uid` after loading its modules: started as `uid`, it could
 * not read the checkout when an ancestor directory is not world-searchable (a clone under /root).
 */
function startFixtureAs(uid: number, db: string) {
  return startFixture('hold-lock', [db, '{"timeout":0}'], { DBLOCK_FIXTURE_UID: String(uid) });
}
