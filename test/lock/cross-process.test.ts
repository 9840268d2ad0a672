import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

async function contend(workers: number, holdUs: number, gapUs: number) {
  const dir = tempDir();
  const db = join(dir, 'shared.db');
  const counter = join(dir, 'counter');
  writeFileSync(counter, '0');
  const children = Array.from({ length: workers }, () =>
    startFixture('backend-worker', ['contend', db, '{}', counter, '1500', String(holdUs), String(gapUs)]),
  );
  await Promise.all(children.map((child) => nextMessage(child)));
  const results = children.map((child) => nextMessage<{ ops: number }>(child, (m) => typeof m.ops === 'number'));
  for (const child of children) child.send('go');
  const ops = (await Promise.all(results)).map((r) => r.ops);
  return { ops, counter: Number(readFileSync(counter, 'utf8')) };
}

describe('across processes', () => {
  it('frees the lock at once when its holder is SIGKILLed', async () => {
    const db = join(tempDir(), 'app.db');
    const child = startFixture('backend-worker', ['crash', db, '{}']);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await nextMessage(child);
    expect(await exited).toBe('SIGKILL');
    const held = await lock(db, { timeout: 0 });
    held.release();
  });

  it('8 processes in a tight loop: exclusion is exact and every one makes progress', async () => {
    const { ops, counter } = await contend(8, 20, 0);
    expect(counter).toBe(ops.reduce((a, b) => a + b, 0));
    for (const n of ops) expect(n).toBeGreaterThan(0);
  });

  it('8 processes with think time: exclusion is exact and every one makes progress', async () => {
    const { ops, counter } = await contend(8, 200, 1000);
    expect(counter).toBe(ops.reduce((a, b) => a + b, 0));
    for (const n of ops) expect(n).toBeGreaterThan(0);
  });
});
