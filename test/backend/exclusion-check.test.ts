import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A real flock(2) that excludes nothing, as on some network and VM mounts: an LD_PRELOAD shim. */
const SHIM_C = 'int flock(int fd, int operation) { (void)fd; (void)operation; return 0; }\n';
let shim: string;
let shimDir: string;

beforeAll(() => {
  // Not tempDir(): that one is removed after each test, and the shim serves the whole file.
  shimDir = mkdtempSync(join(tmpdir(), 'dblock-shim-'));
  const dir = shimDir;
  writeFileSync(join(dir, 'noflock.c'), SHIM_C);
  shim = join(dir, 'noflock.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', shim, join(dir, 'noflock.c')]);
});

afterAll(() => rmSync(shimDir, { recursive: true, force: true }));

describe('a filesystem where flock(2) excludes nothing', () => {
  it('fools util-linux flock(1) (the shim works) ...', () => {
    const file = join(tempDir(), 'x.lock');
    const env = { ...process.env, LD_PRELOAD: shim };
    // Two nested flock(1) calls on one file both "get" the exclusive lock.
    const result = spawnSync('flock', ['-n', file, 'flock', '-n', file, 'echo', 'both-held'], { env, encoding: 'utf8' });
    expect(result.stdout.trim()).toBe('both-held');
  });

  it('... but dblock refuses it with ELOCKUNSUPPORTED (exit 69) naming the filesystem and --backend mkdir', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--json', '--db', db, '--', 'echo', 'ran'], {
      env: { ...process.env, LD_PRELOAD: shim },
    });
    expect(result.code).toBe(69);
    expect(result.stdout).not.toContain('ran');
    const error = JSON.parse(result.stdout).error;
    expect(error.code).toBe('ELOCKUNSUPPORTED');
    expect(error.message).toMatch(/does not exclude on .* \((ext4|tmpfs|overlay|xfs|btrfs|unknown[^)]*)\).*--backend mkdir/);
  });

  it('and the same check lets a working flock(2) through (no shim)', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, '--', 'echo', 'ran']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ran\n');
  });
});
