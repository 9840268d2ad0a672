import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declareIntent, IntentConflictError } from '../../src/index.js';
import { finished, runDblock, startDblock } from '../helpers/processes.js';
import { holdIntent, releaseHolder, scratch, stderrLine } from './helpers.js';

async function conflictsOf(registry: string) {
  const result = await runDblock(['conflicts', '--json', '--registry', registry]);
  return JSON.parse(result.stdout).conflicts as {
    taskId: string;
    otherTaskId: string;
    policy: string;
    outcome: string;
    path: string;
    otherPath: string;
  }[];
}

/** `exec --registry R --writes PATH --policy P [extra…] -- cmd…`. */
function execWrites(registry: string, path: string, policy: string, extra: string[], command: string[]): string[] {
  return ['exec', '--registry', registry, '--writes', path, '--policy', policy, ...extra, '--', ...command];
}

describe('write intent policies (real processes)', () => {
  it('refuse: exit 75 before CMD runs, one line naming task, path, pid, host, command, age; --json error on stdout', async () => {
    const { dir, registry } = scratch();
    const { child, message } = await holdIntent([join(dir, 'a.json')], {
      registry,
      taskId: 'holder-1',
      command: 'node worker.js',
    });
    expect(message.admitted).toBe(true);
    const marker = join(dir, 'ran');
    const refused = await runDblock(['exec', '--registry', registry, '--writes', join(dir, 'a.json'), '--', 'touch', marker]);
    expect(refused.code).toBe(75);
    expect(existsSync(marker)).toBe(false);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const part of ['holder-1', join(dir, 'a.json'), `pid ${child.pid}`, hostname(), '"node worker.js"', ' for ']) {
      expect(lines[0]).toContain(part);
    }
    const json = await runDblock(['exec', '--json', '--registry', registry, '--writes', join(dir, 'a.json'), '--', 'true']);
    expect(json.code).toBe(75);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'EINTENTCONFLICT',
      exitCode: 75,
      conflict: {
        otherTaskId: 'holder-1',
        path: join(dir, 'a.json'),
        pid: child.pid,
        host: hostname(),
        command: 'node worker.js',
      },
    });
    const custom = await runDblock(['exec', '-E', '9', '--registry', registry, '--writes', join(dir, 'a.json'), '--', 'true']);
    expect(custom.code).toBe(9);
    expect((await conflictsOf(registry)).map((c) => c.outcome)).toEqual(['refused', 'refused', 'refused']);
  });

  it('queue: waits while the conflict lasts, starts when it is released; a timeout gives 75 and is logged', async () => {
    const { dir, registry } = scratch();
    const target = join(dir, 'state.json');
    const { child: holder } = await holdIntent([target], { registry, taskId: 'holder' });
    const marker = join(dir, 'ran');
    const timedOut = await runDblock(execWrites(registry, target, 'queue', ['--timeout', '200ms'], ['touch', marker]));
    expect(timedOut.code).toBe(75);
    expect(existsSync(marker)).toBe(false);
    const queued = startDblock(execWrites(registry, target, 'queue', ['--task-id', 'waiter'], ['touch', marker]));
    await stderrLine(queued, /queued: waiting for task holder/);
    expect(existsSync(marker)).toBe(false);
    await releaseHolder(holder);
    expect((await finished(queued)).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const log = await conflictsOf(registry);
    expect(log.map((c) => [c.policy, c.outcome])).toEqual([
      ['queue', 'timed-out'],
      ['queue', 'waited'],
    ]);
  });

  it('queue: SIGINT while queued withdraws the submission and exits 130', async () => {
    const { dir, registry } = scratch();
    const target = join(dir, 'state.json');
    await holdIntent([target], { registry, taskId: 'holder' });
    const queued = startDblock(execWrites(registry, target, 'queue', ['--task-id', 'impatient'], ['true']));
    await stderrLine(queued, /queued: waiting for task holder/);
    queued.kill('SIGINT');
    expect((await finished(queued)).code).toBe(130);
    expect((await conflictsOf(registry)).map((c) => [c.taskId, c.outcome])).toEqual([['impatient', 'aborted']]);
    const intents = JSON.parse((await runDblock(['intents', '--json', '--registry', registry])).stdout).intents;
    expect(intents.map((i: { taskId: string }) => i.taskId)).toEqual(['holder']);
  });

  it('warn: admits with one warning line and logs the overlap', async () => {
    const { dir, registry } = scratch();
    await holdIntent([join(dir, 'out')], { registry, taskId: 'holder' });
    const warned = await runDblock(execWrites(registry, join(dir, 'out'), 'warn', [], ['echo', 'ran']));
    expect(warned.code).toBe(0);
    expect(warned.stdout).toBe('ran\n');
    expect(warned.stderr.trim().split('\n')).toHaveLength(1);
    expect(warned.stderr).toMatch(/warning: .*task holder/);
    expect((await conflictsOf(registry)).map((c) => [c.otherTaskId, c.policy, c.outcome])).toEqual([
      ['holder', 'warn', 'warned'],
    ]);
  });

  it('a directory covers everything below it, in both directions, and nothing beside it', async () => {
    const { dir, registry } = scratch();
    mkdirSync(join(dir, 'data'));
    const { child } = await holdIntent([`${join(dir, 'data')}/`], { registry, taskId: 'dir-holder' });
    const codeOf = async (path: string): Promise<string> => {
      try {
        await (await declareIntent(path, { registry })).release();
        return 'admitted';
      } catch (err) {
        expect(err).toBeInstanceOf(IntentConflictError);
        return (err as IntentConflictError).conflict.otherTaskId;
      }
    };
    expect(await codeOf(join(dir, 'data', 'sub', 'deep.json'))).toBe('dir-holder');
    expect(await codeOf(join(dir, 'data'))).toBe('dir-holder');
    expect(await codeOf(`${dir}/`)).toBe('dir-holder');
    expect(await codeOf(join(dir, 'database.json'))).toBe('admitted');
    expect(await codeOf(join(dir, 'data2', 'x'))).toBe('admitted');
    await releaseHolder(child);
    const file = await holdIntent([join(dir, 'data', 'a.json')], { registry, taskId: 'file-holder' });
    expect(file.message.admitted).toBe(true);
    expect(await codeOf(`${join(dir, 'data')}/`)).toBe('file-holder');
    expect(await codeOf(join(dir, 'data', 'b.json'))).toBe('admitted');
  });
});
