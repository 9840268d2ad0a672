import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';
import { captureIo } from '../helpers/capture-io.js';
import { BIN, finished, nextMessage, ROOT, runDblock, startFixture, startProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('dblock status', () => {
  it('reports free, then the live holder verified by a non-blocking try', async () => {
    const db = join(tempDir(), 'app.db');
    const free = await runDblock(['status', '--db', db, '--json']);
    expect(JSON.parse(free.stdout).locks[0]).toMatchObject({ state: 'absent' });
    const holder = startFixture('hold-lock', [db]);
    await nextMessage(holder);
    const held = JSON.parse((await runDblock(['status', '--db', db, '--json'])).stdout);
    expect(held.locks[0]).toMatchObject({ state: 'exclusive', holder: { pid: holder.pid } });
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const after = JSON.parse((await runDblock(['status', '--db', db, '--json'])).stdout);
    expect(after.locks[0]).toMatchObject({ state: 'free' });
  });
});

describe('CLI surface', () => {
  it('shows examples in --help for every command, and --version', async () => {
    for (const command of [[], ['exec'], ['append'], ['status']]) {
      const { io, out } = captureIo();
      expect(await main(['node', 'dblock', ...command, '--help'], io)).toBe(0);
      expect(out.stdout).toContain('Examples:');
    }
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', '--version'], io)).toBe(0);
    expect(out.stdout.trim()).toBe(VERSION);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
  });

  it('exits quietly when its reader goes away (dblock --help | head -1)', async () => {
    const result = await finished(startProcess('sh', ['-c', `"${process.execPath}" "${BIN}" exec --help | head -1`]));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Usage: dblock exec [options] [FILE] [--] CMD [ARGS...]\n');
    expect(result.stderr).toBe('');
  });

  it('answers --json errors with a structured object on stdout', async () => {
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', 'status', '--json'], io)).toBe(64);
    expect(JSON.parse(out.stdout).error).toMatchObject({ code: 'EUSAGE', exitCode: 64 });
  });
});
