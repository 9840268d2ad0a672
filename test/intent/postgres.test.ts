import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declareIntent } from '../../src/index.js';
import { CONFLICT_LOG_MAX } from '../../src/intent/conflict-log.js';
import { codeOf } from '../helpers/error-code.js';
import { observer, postgresUrl } from '../helpers/postgres.js';
import { BIN, finished, nextMessage, runDblock, startDblock, startFixture, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { HolderMessage } from './helpers.js';
import { raceAtBarrier, stderrLine } from './helpers.js';

let counter = 0;

/** A scope of its own (tests share one server) and a local directory as its root. */
function scoped(): { scope: string; root: string; reg: string[] } {
  const scope = `git@example.com:team/repo-${process.pid}-${counter++}-${Date.now()}`;
  const root = tempDir('dblock-scope-');
  mkdirSync(join(root, 'data'));
  return { scope, root, reg: ['--registry', postgresUrl(), '--scope', scope] };
}

/** `dblock exec` on "host" `host`, declaring `writes` in the scope (paths relative to its root). */
function execArgs(s: ReturnType<typeof scoped>, writes: string[], ...rest: string[]): string[] {
  return ['exec', ...s.reg, '--scope-root', s.root, ...writes.flatMap((w) => ['--writes', join(s.root, w)]), ...rest];
}

const onHost = (host: string): { env: NodeJS.ProcessEnv; cwd?: string } => ({ env: { ...process.env, DBLOCK_HOST: host } });

/** The intent-holder fixture on "host" `host`; resolves once it is admitted or refused. */
async function holdOn(
  host: string,
  s: ReturnType<typeof scoped>,
  paths: string[],
  options: Record<string, unknown> = {},
): Promise<{ child: ChildProcess; message: HolderMessage }> {
  const child = startFixture(
    'intent-holder',
    [
      JSON.stringify(paths.map((p) => join(s.root, p))),
      JSON.stringify({ registry: postgresUrl(), scope: s.scope, scopeRoot: s.root, ...options }),
    ],
    { DBLOCK_HOST: host },
  );
  const message = await nextMessage<HolderMessage>(child, (m) => m.admitted === true || m.error !== undefined);
  return { child, message };
}

async function inFlight(s: ReturnType<typeof scoped>): Promise<{ taskId: string; host: string; paths: string[] }[]> {
  const result = await runDblock(['intents', '--json', ...s.reg]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout).intents;
}

async function conflicts(s: ReturnType<typeof scoped>): Promise<Record<string, unknown>[]> {
  return JSON.parse((await runDblock(['conflicts', '--json', ...s.reg])).stdout).conflicts;
}

describe('write intents on PostgreSQL across "hosts" (real server, real processes)', () => {
  it('admits exactly one of 6 processes declaring overlapping paths at the same instant, round after round', async () => {
    for (let round = 0; round < 3; round++) {
      const s = scoped();
      // Overlapping, not equal: a directory, a file in it, the file itself from other "hosts".
      const paths = [['data/'], ['data/a.json'], ['data/a.json'], ['data/'], ['data/a.json', 'b.json'], ['data/a.json']];
      const children = paths.map((p, i) =>
        startFixture(
          'intent-holder',
          [
            JSON.stringify(p.map((one) => join(s.root, one))),
            JSON.stringify({ registry: postgresUrl(), scope: s.scope, scopeRoot: s.root, barrier: true }),
          ],
          { DBLOCK_HOST: `host-${i}` },
        ),
      );
      const outcomes = await raceAtBarrier(children);
      const admitted = outcomes.filter((m) => m.admitted);
      expect(admitted).toHaveLength(1);
      const refused = outcomes.filter((m) => m.code === 'EINTENTCONFLICT');
      expect(refused).toHaveLength(5);
      for (const m of refused) expect(m.conflict?.otherTaskId).toBe(admitted[0]?.taskId);
      expect((await inFlight(s)).map((i) => i.taskId)).toEqual([admitted[0]?.taskId]);
      expect((await conflicts(s)).map((c) => c.outcome)).toEqual(Array(5).fill('refused'));
      for (const child of children) child.send('exit');
      await Promise.all(children.map((child) => finished(child)));
    }
  }, 120_000);

  it('refuse: exit 75 before CMD runs, naming the other task, its path, pid, host and command', async () => {
    const s = scoped();
    const { child, message } = await holdOn('ci-runner-a', s, ['data/'], { taskId: 'build-a', command: 'make data' });
    expect(message.admitted).toBe(true);
    const marker = join(s.root, 'ran');
    const refused = await runDblock(execArgs(s, ['data/a.json'], '--', 'touch', marker), onHost('ci-runner-b'));
    expect(refused.code).toBe(75);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^dblock: intent refused: /data/a\\.json overlaps /data/, claimed by task build-a \\(pid ${message.pid} "make data" on host ci-runner-a, for [0-9.]+m?s\\)\n$`,
      ),
    );
    expect(refused.stdout).toBe('');
    const [logged] = await conflicts(s);
    expect(logged).toMatchObject({ host: 'ci-runner-b', otherHost: 'ci-runner-a', otherTaskId: 'build-a', outcome: 'refused' });
    // Paths outside the overlap are free; the file was never written by the refused task.
    expect((await runDblock(execArgs(s, ['other.txt'], '--', 'true'), onHost('ci-runner-b'))).code).toBe(0);
    child.send('exit');
  });

  it('bounds the conflict log per scope: a busy scope keeps its newest entries and never pushes out another scope', async () => {
    const quiet = scoped();
    const busy = scoped();
    const refuseIn = async (s: ReturnType<typeof scoped>, host: string) => {
      const { child } = await holdOn(host, s, ['data/']);
      expect((await runDblock(execArgs(s, ['data/a.json'], '--', 'true'), onHost('other'))).code).toBe(75);
      child.send('exit');
      await finished(child);
    };
    await refuseIn(quiet, 'quiet-host');
    // The busy scope's history so far: more than the bound, each row a millisecond apart, all older than now.
    const client = await observer();
    await client.query(
      `INSERT INTO dblock_intent_conflict (scope, at, task_id, pid, host, command, path, other_task_id, other_pid, other_host,
         other_command, other_path, other_state, policy, outcome)
       SELECT $1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 20000 - g, 'old-' || g, 1, 'h', 'c', '/p', 'o', 2,
         'h', 'c', '/p', 'admitted', 'refuse', 'refused' FROM generate_series(1, $2::int) AS g`,
      [busy.scope, CONFLICT_LOG_MAX + 50],
    );
    await refuseIn(busy, 'busy-host');
    const count = async (s: ReturnType<typeof scoped>) =>
      Number((await client.query('SELECT count(*) AS n FROM dblock_intent_conflict WHERE scope = $1', [s.scope])).rows[0].n);
    expect(await count(busy)).toBe(CONFLICT_LOG_MAX);
    const newest = await client.query(
      'SELECT host FROM dblock_intent_conflict WHERE scope = $1 ORDER BY at DESC, id DESC LIMIT 1',
      [busy.scope],
    );
    expect(newest.rows[0].host).toBe('other');
    expect(await conflicts(quiet)).toMatchObject([{ host: 'other', otherHost: 'quiet-host', outcome: 'refused' }]);
  }, 60_000);

  it('lists conflicts oldest first when their ids cross a power of ten (99 → 100 sorts as numbers, not text)', async () => {
    const s = scoped();
    const { child } = await holdOn('host-a', s, ['data/']);
    const client = await observer();
    // The next two conflicts get ids ...99 and ...100, whatever ran before.
    const { rows } = await client.query<{ last: string }>(
      "SELECT last_value::text AS last FROM pg_sequences WHERE sequencename = 'dblock_intent_conflict_id_seq'",
    );
    const next = 10n ** BigInt(String(BigInt(rows[0]?.last ?? '1') + 2n).length);
    await client.query("SELECT setval('dblock_intent_conflict_id_seq', $1::bigint)", [String(next - 2n)]);
    for (const taskId of ['first-refused', 'second-refused']) {
      const refused = await runDblock(execArgs(s, ['data/a.json'], '--task-id', taskId, '--', 'true'), onHost('host-b'));
      expect(refused.code).toBe(75);
    }
    expect((await conflicts(s)).map((c) => c.taskId)).toEqual(['first-refused', 'second-refused']);
    child.send('exit');
    await finished(child);
  });

  it('queue: waits while the other host holds the paths, starts when it ends; a timeout gives 75; both logged', async () => {
    const s = scoped();
    const { child, message } = await holdOn('host-a', s, ['data/a.json'], { taskId: 'first' });
    expect(message.admitted).toBe(true);
    const timedOut = await runDblock(
      execArgs(s, ['data/a.json'], '--policy', 'queue', '--timeout', '300ms', '--', 'true'),
      onHost('host-b'),
    );
    expect(timedOut.code).toBe(75);
    expect(timedOut.stderr).toMatch(/timed out after .* queued for \/data\/a\.json: .*claimed by task first .*on host host-a/);
    const waiter = startDblock(
      execArgs(s, ['data/'], '--policy', 'queue', '--timeout', '60s', '--', 'echo', 'ran'),
      onHost('host-b'),
    );
    await stderrLine(waiter, /queued: waiting for task first \(\/data\/a\.json\)/);
    expect((await inFlight(s)).map((i) => [i.taskId, i.host])).toEqual([
      ['first', 'host-a'],
      [expect.stringMatching(/^t-/), 'host-b'],
    ]);
    child.send('release');
    const done = await finished(waiter);
    expect(done).toMatchObject({ code: 0, stdout: 'ran\n' });
    expect((await conflicts(s)).map((c) => c.outcome)).toEqual(['timed-out', 'waited']);
    child.send('exit');
  });

  it('warn: admits with one warning line and logs the overlap', async () => {
    const s = scoped();
    const { child } = await holdOn('host-a', s, ['data/'], { taskId: 'wide' });
    const warned = await runDblock(execArgs(s, ['data/x'], '--policy', 'warn', '--', 'echo', 'ran'), onHost('host-b'));
    expect(warned).toMatchObject({ code: 0, stdout: 'ran\n' });
    expect(warned.stderr).toMatch(/^dblock: warning: write intent overlaps .*claimed by task wide .*on host host-a.*\n$/);
    expect(await conflicts(s)).toMatchObject([{ policy: 'warn', outcome: 'warned', host: 'host-b', otherHost: 'host-a' }]);
    child.send('exit');
  });

  it('a SIGKILLed holder frees its paths at once (its session ends); reap names dead tasks', async () => {
    const s = scoped();
    const first = await holdOn('host-a', s, ['data/'], { taskId: 'doomed' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(await inFlight(s)).toEqual([]);
    expect((await runDblock(execArgs(s, ['data/a.json'], '--', 'true'), onHost('host-b'))).code).toBe(0);
    const second = await holdOn('host-a', s, ['data/'], { taskId: 'doomed-too' });
    second.child.kill('SIGKILL');
    await new Promise((resolve) => second.child.once('exit', resolve));
    const reap = JSON.parse((await runDblock(['reap', '--json', ...s.reg])).stdout);
    expect(reap.removed.map((r: { taskId: string; reason: string }) => [r.taskId, r.reason])).toEqual([['doomed-too', 'dead']]);
    expect(JSON.parse((await runDblock(['reap', '--json', ...s.reg])).stdout).removed).toEqual([]);
  });

  it('keeps the intent while CMD runs even if dblock is SIGKILLed (CMD holds the session), and frees it when CMD ends', async () => {
    const s = scoped();
    const stop = join(s.root, 'stop');
    const exec = startDblock(
      execArgs(s, ['data/'], '--', 'sh', '-c', `echo started; while [ ! -e ${stop} ]; do sleep 0.02; done`),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await waitForLine(exec, (line) => line === 'started');
    exec.kill('SIGKILL');
    await new Promise((resolve) => exec.once('exit', resolve));
    expect((await runDblock(execArgs(s, ['data/a.json'], '--', 'true'))).code).toBe(75);
    const cmdGone = new Promise((resolve) => exec.stdout?.once('close', resolve));
    writeFileSync(stop, '');
    await cmdGone;
    expect((await runDblock(execArgs(s, ['data/a.json'], '--', 'true'))).code).toBe(0);
  });

  it('warns when the session of an intent is lost while CMD runs (pg_terminate_backend); its paths are free from then on', async () => {
    const s = scoped();
    const stop = join(s.root, 'stop');
    const exec = startDblock(
      execArgs(s, ['data/'], '--', 'sh', '-c', `echo "$DBLOCK_INTENTS"; while [ ! -e ${stop} ]; do sleep 0.02; done`),
    );
    const line = await waitForLine(exec, (l) => l.startsWith('['));
    const token = (JSON.parse(line) as { token: string }[])[0]?.token;
    const warned = stderrLine(
      exec,
      /^dblock: warning: write intent t-[0-9a-f]+ lost \(its postgres session ended\): other tasks may now claim \/data\/$/,
    );
    const client = await observer();
    const { rows } = await client.query(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [`dblock intent ${token}`],
    );
    expect(rows).toEqual([{ ok: true }]);
    await warned;
    expect((await runDblock(execArgs(s, ['data/a.json'], '--', 'true'))).code).toBe(0);
    writeFileSync(stop, '');
    expect((await finished(exec)).code).toBe(0);
  });

  it('passes a nested exec through its ancestor task (verified with the server), never a forged DBLOCK_INTENTS', async () => {
    const s = scoped();
    const nested = await runDblock(
      execArgs(
        s,
        ['data/'],
        '--',
        process.execPath,
        BIN,
        ...execArgs(s, ['data/x.json'], '--', 'sh', '-c', 'echo "$DBLOCK_TASK_ID"'),
      ),
    );
    expect(nested.stderr).toBe('');
    expect(nested).toMatchObject({ code: 0, stdout: expect.stringMatching(/^t-[0-9a-f]+\n$/) });
    const { child, message } = await holdOn('host-a', s, ['data/y.json'], { taskId: 'holder' });
    const registry = `postgres://${new URL(postgresUrl()).host}${new URL(postgresUrl()).pathname}#${s.scope}`;
    // fd 0 of the test's dblock is /dev/null; a socket of another session would not hold the task's lock either.
    const forged = JSON.stringify([{ registry, task: 'holder', token: message.token, fd: 0 }]);
    const refused = await runDblock(execArgs(s, ['data/y.json'], '--', 'true'), {
      env: { ...process.env, DBLOCK_INTENTS: forged },
    });
    expect(refused.code).toBe(75);
    child.send('exit');
  });

  it('maps paths into the scope from the git checkout top (any subdirectory), and refuses paths outside it', async () => {
    const s = scoped();
    mkdirSync(join(s.root, '.git'));
    const sub = join(s.root, 'data');
    const { child } = await holdOn('host-a', s, ['data/a.json'], { taskId: 'a' });
    const fromSub = await runDblock(['exec', ...s.reg, '--writes', 'a.json', '--', 'true'], { cwd: sub });
    expect(fromSub.code).toBe(75);
    expect(fromSub.stderr).toMatch(/intent refused: \/data\/a\.json claimed by task a /);
    const outside = await runDblock(['exec', ...s.reg, '--writes', '/etc/hostname', '--', 'true'], { cwd: sub });
    expect(outside.code).toBe(64);
    expect(outside.stderr).toMatch(/^dblock: \/etc\/hostname is outside the scope's root .* \(set --scope-root\)\n$/);
    child.send('exit');
  });

  it('refuses a postgres registry without --scope, --scope without one, and --scope-root without a root (64)', async () => {
    const dir = tempDir();
    const cases = [
      ['exec', '--registry', postgresUrl(), '--writes', 'a', '--', 'true'],
      ['exec', '--scope', 'S', '--writes', 'a', '--', 'true'],
      ['exec', '--registry', postgresUrl(), '--scope', 'S', '--writes', 'a', '--', 'true'], // no git checkout, no --scope-root
      ['intents', '--registry', postgresUrl()],
      ['exec', '--registry', postgresUrl(), '--scope', 'S', '--', 'true'],
    ];
    for (const args of cases) {
      const result = await runDblock(args, { cwd: dir, env: { ...process.env, DBLOCK_SCOPE_ROOT: '' } });
      expect({ args, code: result.code, lines: result.stderr.split('\n').length }).toEqual({ args, code: 64, lines: 2 });
    }
  });

  it("a database whose intent tables are not dblock's: one line, exit 69, CMD never runs; status points to intents (64)", async () => {
    const admin = await observer();
    const db = `dblock_foreign_${process.pid}_${counter++}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const url = new URL(postgresUrl());
    url.pathname = `/${db}`;
    const foreign = await observer(url.toString());
    await foreign.query('CREATE SEQUENCE dblock_intent_seq; CREATE TABLE dblock_intent_task (something_else integer)');
    const root = tempDir();
    const marker = join(root, 'ran');
    for (const args of [
      [
        'exec',
        '--registry',
        url.toString(),
        '--scope',
        'S',
        '--scope-root',
        root,
        '--writes',
        join(root, 'a'),
        '--',
        'touch',
        marker,
      ],
      ['intents', '--registry', url.toString(), '--scope', 'S'],
    ]) {
      const result = await runDblock(args);
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(
        /^dblock: postgres registry postgres:\/\/[^ ]+#S: column .* does not exist \(SQLSTATE 42703\)\n$/,
      );
    }
    expect(existsSync(marker)).toBe(false);
    const status = await runDblock(['status', '--registry', postgresUrl(), join(root, 'a')]);
    expect(status.code).toBe(64);
  });

  it('declareIntent({ registry: postgres://…, scope }) from the library; an unreachable server is EUNAVAILABLE', async () => {
    const s = scoped();
    const intent = await declareIntent(join(s.root, 'data/'), { registry: postgresUrl(), scope: s.scope, scopeRoot: s.root });
    expect(intent.paths).toEqual(['/data/']);
    expect(intent.registry).toMatch(/^postgres:\/\/.*#git@example\.com:team\/repo-/);
    const other = await holdOn('host-b', s, ['data/z'], {});
    expect(other.message.code).toBe('EINTENTCONFLICT');
    await intent.release();
    const dead = new URL(postgresUrl());
    dead.port = '1';
    const unreachable = declareIntent(join(s.root, 'x'), { registry: dead.toString(), scope: s.scope, scopeRoot: s.root });
    expect(await codeOf(unreachable)).toBe('EUNAVAILABLE');
    other.child.send('exit');
  });
});
