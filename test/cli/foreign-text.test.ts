import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDblock, startDblock, waitForLine } from '../helpers/processes.js';
import { scratch } from '../intent/helpers.js';

/** A holder command that would retitle the terminal, return the cursor and paint a fake line red. */
const HOSTILE = 'sleep 2 #\x1b]0;PWNED\x07\r\x1b[31mFAKE \x9b2J \u202eevil\\e \x01';
const SHOWN = String.raw`"sh -c echo ready; read line # sleep 2 #\e]0;PWNED\a\r\e[31mFAKE \u009b2J \u202eevil\\e \x01"`;

/** Anything a terminal would act on: C0 (but the newline ending each line), DEL, C1, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** `dblock exec ARGS -- sh -c 'echo ready; read line # HOSTILE'`, holding until its stdin ends. */
async function startHostileHolder(args: string[], env: NodeJS.ProcessEnv) {
  const child = startDblock([...args, '--', 'sh', '-c', `echo ready; read line # ${HOSTILE}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  await waitForLine(child, (line) => line === 'ready');
  return child;
}

describe('text another process chose is printed escaped', () => {
  it('in lock timeout messages, status and check; raw in --json', async () => {
    const { dir, env } = scratch();
    const db = join(dir, 'app.db');
    expect((await runDblock(['init', '--db', db], { env })).code).toBe(0);
    const holder = await startHostileHolder(['exec', '--db', db], env);

    const timedOut = await runDblock(['exec', '--db', db, '--timeout', '0', '--', 'true'], { env });
    expect(timedOut.code).toBe(75);
    expect(timedOut.stderr).not.toMatch(CONTROL);
    expect(timedOut.stderr).toContain(SHOWN);
    expect(timedOut.stderr.trim().split('\n')).toHaveLength(1);

    for (const command of ['status', 'check']) {
      const result = await runDblock([command, '--db', db], { env });
      expect(`${result.stdout}${result.stderr}`, command).not.toMatch(CONTROL);
      expect(result.stdout, command).toContain(SHOWN);
    }
    const json = JSON.parse((await runDblock(['status', '--db', db, '--json'], { env })).stdout);
    expect(json.locks[0].holder.command).toContain(HOSTILE);
    holder.stdin?.end();
  });

  it('in intent refusals, dblock intents and dblock conflicts (a task id with a bidi override too); raw in --json', async () => {
    const { dir, env } = scratch();
    const data = join(dir, 'data');
    const holder = await startHostileHolder(['exec', '--writes', `${data}/`, '--task-id', 'task\u202egnp.exe'], env);

    const refused = await runDblock(['exec', '--writes', join(data, 'a.json'), '--', 'true'], { env });
    expect(refused.code).toBe(75);
    expect(refused.stderr).not.toMatch(CONTROL);
    expect(refused.stderr).toContain(SHOWN);
    expect(refused.stderr).toContain(String.raw`task\u202egnp.exe`);

    for (const command of ['intents', 'conflicts']) {
      const result = await runDblock([command], { env });
      expect(result.code, command).toBe(0);
      expect(`${result.stdout}${result.stderr}`, command).not.toMatch(CONTROL);
      expect(result.stdout, command).toContain(SHOWN);
      expect(result.stdout, command).toContain(String.raw`task\u202egnp.exe`);
    }
    const json = JSON.parse((await runDblock(['intents', '--json'], { env })).stdout);
    expect(json.intents[0].command).toContain(HOSTILE);
    holder.stdin?.end();
  });

  it('in error lines naming a path with a newline or a terminal control: one line, escaped; raw in --json', async () => {
    const { dir, env } = scratch();
    const odd = join(dir, 'we\x01ird\nname');
    mkdirSync(odd);
    const run = await runDblock(['--json', 'exec', '--lock', odd, '--', 'true'], { env });
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining(String.raw`we\x01ird\nname`), '']);
    expect(run.stderr).not.toMatch(CONTROL);
    expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message).toContain(odd);
  });

  it('in status lines and -v notes naming a database with a newline in its name: one line per lock, escaped', async () => {
    const { dir, env } = scratch();
    const db = join(dir, 'a\nb.db');
    const status = await runDblock(['status', '--db', db], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(String.raw`a\nb.db.lock: free`);
    expect(status.stdout).not.toMatch(/^b\.db/m);
    const verbose = await runDblock(['-v', 'exec', '--db', db, '--', 'true'], { env });
    expect(verbose.code).toBe(0);
    expect(verbose.stderr.split('\n')).toEqual([expect.stringContaining(String.raw`a\nb.db.lock`), '']);
  });
});
