import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, finished, startProcess } from '../helpers/processes.js';
import { mountSmallTmpfs } from '../helpers/small-tmpfs.js';
import { tempDir } from '../helpers/temp-dir.js';

// Sidecars live in --lock-dir on the ordinary disk: only the appended file and a filler share the 64 KiB.
describe('dblock append on a full disk', () => {
  it('a failed append leaves the file as it was and exits 74; after space is freed the next line is whole', async () => {
    const disk = await mountSmallTmpfs(64);
    const lockDir = tempDir();
    const file = join(disk.dir, 'runs.jsonl');
    const filler = join(disk.dir, 'filler');
    writeFileSync(disk.local(filler), Buffer.alloc(16 * 1024));
    const pad = 'a'.repeat(12_000);
    let before = Buffer.alloc(0);
    let failure: Awaited<ReturnType<typeof finished>> | undefined;
    for (let i = 1; i <= 10 && failure === undefined; i++) {
      before = existsSync(disk.local(file)) ? readFileSync(disk.local(file)) : Buffer.alloc(0);
      const result = await finished(disk.startDblock(['append', '--lock-dir', lockDir, file, JSON.stringify({ i, p: pad })]));
      if (result.code !== 0) failure = result;
    }
    expect(failure?.code).toBe(74);
    expect(failure?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failure?.stderr).toContain('no space left on device');
    expect(readFileSync(disk.local(file))).toEqual(before);

    rmSync(disk.local(filler));
    const after = await finished(disk.startDblock(['append', '--lock-dir', lockDir, file, '{"i":"after"}']));
    expect(after.code).toBe(0);
    const lines = readFileSync(disk.local(file), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as { i: unknown }).map((record) => record.i)).toEqual([
      ...Array.from({ length: lines.length - 1 }, (_, i) => i + 1),
      'after',
    ]);
  });

  it('a full disk mid-stdin keeps the batches already written and removes the failed batch whole', async () => {
    const disk = await mountSmallTmpfs(64);
    const file = join(disk.dir, 'events.jsonl');
    const input = Array.from({ length: 12 }, (_, seq) => `${JSON.stringify({ seq, pad: 'b'.repeat(8000) })}\n`);
    const child = disk.startDblock(['append', '--lock-dir', tempDir(), file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(child);
    // A first batch that fits, appended (and fsynced) before the rest arrives: how a pipe coalesces
    // writes depends on timing, so the test waits for it rather than hoping for one read per chunk.
    const first = input.slice(0, 2).join('');
    child.stdin?.write(first);
    while (!existsSync(disk.local(file)) || readFileSync(disk.local(file), 'utf8') !== first) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.stdin?.end(input.slice(2).join(''));
    const result = await done;
    expect(result.code).toBe(74);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const content = existsSync(disk.local(file)) ? readFileSync(disk.local(file), 'utf8') : '';
    const kept = content === '' ? 0 : content.split('\n').length - 1;
    expect(kept).toBeGreaterThanOrEqual(2); // the first batch stays: it was written and fsynced
    expect(kept).toBeLessThan(input.length);
    expect(content).toBe(input.slice(0, kept).join(''));
  });

  it('a file that did not exist is not left behind when its first append does not fit', async () => {
    const disk = await mountSmallTmpfs(64);
    writeFileSync(disk.local(join(disk.dir, 'filler')), Buffer.alloc(60 * 1024));
    const file = join(disk.dir, 'new.jsonl');
    const result = await finished(disk.startDblock(['append', '--lock-dir', tempDir(), file, 'c'.repeat(12_000)]));
    expect(result.code).toBe(74);
    expect(existsSync(disk.local(file))).toBe(false);
  });

  it('the file size limit (EFBIG, ulimit -f) cuts the write short: the file is as it was, exit 74', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.jsonl');
    const original = `${'d'.repeat(5999)}\n`;
    writeFileSync(file, original);
    const args = ['--fsize=8192', process.execPath, BIN, 'append', file, 'e'.repeat(4000)];
    const result = await finished(startProcess('prlimit', args));
    expect(result.code).toBe(74);
    expect(result.stderr).toContain('file too large');
    expect(readFileSync(file, 'utf8')).toBe(original);
  });
});
