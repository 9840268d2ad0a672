import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, finished, runDblock, startDblock, startFixture, waitForLine } from '../helpers/processes.js';
import { holdIntent, raceAtBarrier, releaseHolder, scratch, stderrLine } from './helpers.js';

async function inFlight(registry: string): Promise<string[]> {
  const result = await runDblock(['intents', '--json', '--registry', registry]);
  return (JSON.parse(result.stdout).intents as { taskId: string }[]).map((i) => i.taskId);
}

describe('write intent admission (real processes)', () => {
  it('admits exactly one of 10 processes submitting the same path at once under refuse', async () => {
    const { dir, registry } = scratch();
    const path = join(dir, 'shared.json');
    const children = Array.from({ length: 10 }, () =>
      startFixture('intent-holder', [JSON.stringify([path]), JSON.stringify({ registry, barrier: true })]),
    );
    const outcomes = await raceAtBarrier(children);
    const admitted = outcomes.filter((m) => m.admitted);
    expect(admitted).toHaveLength(1);
    const refused = outcomes.filter((m) => m.code === 'EINTENTCONFLICT');
    expect(refused).toHaveLength(9);
    for (const m of refused) expect(m.conflict?.otherTaskId).toBe(admitted[0]?.taskId);
    expect(await inFlight(registry)).toEqual([admitted[0]?.taskId]);
  });

  it('frees a SIGKILLed task at the next submission; reap reports dead entries', async () => {
    const { dir, registry } = scratch();
    const path = join(dir, 'a.json');
    const first = await holdIntent([path], { registry, taskId: 'doomed' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(await inFlight(registry)).toEqual([]);
    const next = await runDblock(['exec', '--registry', registry, '--writes', path, '--', 'true']);
    expect(next.code).toBe(0);
    const second = await holdIntent([path], { registry, taskId: 'doomed-too' });
    second.child.kill('SIGKILL');
    await new Promise((resolve) => second.child.once('exit', resolve));
    const reap = JSON.parse((await runDblock(['reap', '--json', '--registry', registry])).stdout);
    expect(reap.removed.map((r: { taskId: string; reason: string }) => [r.taskId, r.reason])).toEqual([['doomed-too', 'dead']]);
    expect(JSON.parse((await runDblock(['reap', '--json', '--registry', registry])).stdout).removed).toEqual([]);
  });

  it('keeps the intent while CMD runs even if dblock itself is SIGKILLed, and frees it when CMD ends', async () => {
    const { dir, registry } = scratch();
    const path = join(dir, 'a.json');
    const stop = join(dir, 'stop');
    // Not stdin: Node closes a child's stdin pipe when the child (dblock) dies, which would end CMD too.
    const exec = startDblock(
      [
        'exec',
        '--registry',
        registry,
        '--writes',
        path,
        '--',
        'sh',
        '-c',
        `echo started; while [ ! -e ${stop} ]; do sleep 0.02; done`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(exec, (line) => line === 'started');
    exec.kill('SIGKILL');
    expect((await runDblock(['exec', '--registry', registry, '--writes', path, '--', 'true'])).code).toBe(75);
    const cmdGone = new Promise((resolve) => exec.stdout?.once('close', resolve)); // CMD held the other end
    writeFileSync(stop, '');
    await cmdGone;
    expect((await runDblock(['exec', '--registry', registry, '--writes', path, '--', 'true'])).code).toBe(0);
  });

  it('lets an intent lapse at its TTL (warning the task) while a later task is admitted', async () => {
    const { dir, registry } = scratch();
    const path = join(dir, 'a.json');
    const exec = startDblock(
      [
        'exec',
        '--registry',
        registry,
        '--ttl',
        '300ms',
        '--task-id',
        'slow',
        '--writes',
        path,
        '--',
        'sh',
        '-c',
        'read x; exit 0',
      ],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    await stderrLine(exec, /write intent slow expired \(TTL\)/);
    expect(await inFlight(registry)).toEqual([]);
    const later = await holdIntent([path], { registry, taskId: 'later' });
    expect(later.message.admitted).toBe(true);
    exec.stdin?.end();
    expect((await finished(exec)).code).toBe(0);
    // The expired task's release must not take the later task's entry with it.
    expect(await inFlight(registry)).toEqual(['later']);
    await releaseHolder(later.child);
  });

  it('serves 3 queued waiters in submission order', async () => {
    const { dir, registry } = scratch();
    const path = join(dir, 'state.json');
    const order = join(dir, 'order');
    const { child: holder } = await holdIntent([path], { registry, taskId: 'holder' });
    const waiters = [];
    for (const name of ['w1', 'w2', 'w3']) {
      const waiter = startDblock([
        'exec',
        '--registry',
        registry,
        '--writes',
        path,
        '--policy',
        'queue',
        '--task-id',
        name,
        '--',
        'sh',
        '-c',
        `echo ${name} >> ${order}`,
      ]);
      await stderrLine(waiter, /queued: waiting for task holder/);
      waiters.push(waiter);
    }
    await releaseHolder(holder);
    const codes = await Promise.all(waiters.map(async (w) => (await finished(w)).code));
    expect(codes).toEqual([0, 0, 0]);
    expect(readFileSync(order, 'utf8')).toBe('w1\nw2\nw3\n');
  });

  it('passes a nested exec through its ancestor task, but never trusts a forged DBLOCK_INTENTS', async () => {
    const { dir, registry } = scratch();
    const nested = await runDblock([
      'exec',
      '--registry',
      registry,
      '--writes',
      `${dir}/`,
      '--',
      process.execPath,
      BIN,
      'exec',
      '--registry',
      registry,
      '--writes',
      join(dir, 'x.json'),
      '--',
      'sh',
      '-c',
      'echo "$DBLOCK_TASK_ID"',
    ]);
    expect(nested.code).toBe(0);
    expect(nested.stdout).toMatch(/^t-[0-9a-f]+\n$/);
    const { message } = await holdIntent([join(dir, 'y.json')], { registry, taskId: 'holder' });
    const forged = JSON.stringify([{ registry, task: 'holder', token: message.token, fd: 0 }]);
    const refused = await runDblock(['exec', '--registry', registry, '--writes', join(dir, 'y.json'), '--', 'true'], {
      env: { ...process.env, DBLOCK_INTENTS: forged },
    });
    expect(refused.code).toBe(75);
  });
});
