import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, runDblock, startDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runDblockAs } from '../helpers/world-readable-install.js';

const NOBODY = 65534;

describe('dblock append', () => {
  it('8 processes × 200 lines of 4 KB: every line whole, none interleaved, none lost', async () => {
    const file = join(tempDir(), 'events.jsonl');
    const writers = Array.from({ length: 8 }, (_, writer) => {
      const child = startDblock(['append', file], { stdio: ['pipe', 'pipe', 'pipe'] });
      const done = finished(child);
      const pad = 'x'.repeat(4000);
      for (let seq = 0; seq < 200; seq++) child.stdin?.write(`${JSON.stringify({ writer, seq, pad })}\n`);
      child.stdin?.end();
      return done;
    });
    for (const result of await Promise.all(writers)) expect(result.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1600);
    const seen = new Map<number, number[]>();
    for (const line of lines) {
      const { writer, seq } = JSON.parse(line) as { writer: number; seq: number };
      seen.set(writer, [...(seen.get(writer) ?? []), seq]);
    }
    for (let writer = 0; writer < 8; writer++) {
      expect(seen.get(writer)).toEqual(Array.from({ length: 200 }, (_, i) => i)); // in order per writer
    }
  });

  it('appends the LINE argument, adding the newline, and a last stdin line without one', async () => {
    const file = join(tempDir(), 'log.txt');
    expect((await runDblock(['append', file, 'first'])).code).toBe(0);
    const child = startDblock(['append', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(child);
    child.stdin?.end('second\nthird');
    expect((await done).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\nthird\n');
  });

  it('an 8 MiB stdin line arriving in many chunks is appended whole, as are the lines around it', async () => {
    const file = join(tempDir(), 'big.jsonl');
    const big = `{"big":"${'x'.repeat(8 * 1024 * 1024)}"}`;
    const child = startDblock(['append', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    const done = finished(child);
    child.stdin?.write('{"n":1}\n{"n":2');
    child.stdin?.write(`}\n${big.slice(0, 1000)}`);
    for (let at = 1000; at < big.length; at += 100_000) child.stdin?.write(big.slice(at, at + 100_000));
    child.stdin?.end('\n{"n":3}');
    expect((await done).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`{"n":1}\n{"n":2}\n${big}\n{"n":3}\n`);
  });

  it('a file left without its last newline (an appender killed mid-write) gets one before the new line', async () => {
    const file = join(tempDir(), 'torn.jsonl');
    writeFileSync(file, '{"i":1}\n{"i":2,"p":"aa');
    expect((await runDblock(['append', file, '{"i":3}'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('{"i":1}\n{"i":2,"p":"aa\n{"i":3}\n');
  });

  it('a write-only file still takes appends', async () => {
    const dir = tempDir();
    const file = join(dir, 'drop.log');
    writeFileSync(file, 'one\n', { mode: 0o200 });
    chownSync(dir, NOBODY, NOBODY); // nobody makes the sidecars here and may write, not read, the file
    chownSync(file, NOBODY, NOBODY);
    const result = await runDblockAs(NOBODY, ['append', file, 'two']);
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('refuses a file in a missing directory with one line', async () => {
    const result = await runDblock(['append', join(tempDir(), 'no', 'such', 'file'), 'x']);
    expect(result.code).toBe(66);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
