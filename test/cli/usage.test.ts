import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUITES } from '../../src/bench/suites.js';
import { COMMANDS } from '../../src/cli/command-list.js';
import { finished, runDblock, startDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The one JSON object a `--json` run printed on stdout. */
function jsonOf(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('a directory where a lock file or a database belongs', () => {
  it('exec --lock DIR and exec --db DIR are usage errors (64) naming the directory, and lock nothing', async () => {
    const dir = tempDir();
    for (const flag of ['--lock', '--db']) {
      const run = await runDblock(['exec', flag, dir, '--json', '--', 'touch', join(dir, 'ran')]);
      expect(run.code).toBe(64);
      expect(jsonOf(run.stdout)).toMatchObject({ error: { code: 'EUSAGE', exitCode: 64 } });
      expect(run.stderr).toMatch(/is a directory/);
      expect(run.stderr).toContain(dir);
    }
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("a directory that is the mkdir backend's lock is still reported as the other backend's lock", async () => {
    const lock = join(tempDir(), 'job.lock');
    mkdirSync(lock);
    writeFileSync(join(lock, 'holder.json'), '{}');
    const run = await runDblock(['exec', '--lock', lock, '--json', '--', 'true']);
    expect(jsonOf(run.stdout)).toMatchObject({ error: { code: 'EBACKENDMISMATCH' } });
  });

  it('append --lock DIR and append DIR are usage errors (64), and the file is not created', async () => {
    const dir = tempDir();
    const file = join(dir, 'log.jsonl');
    const withLock = await runDblock(['append', '--lock', dir, file, 'x']);
    expect(withLock.code).toBe(64);
    expect(withLock.stderr).toContain(`${dir}: it is a directory`);
    expect(existsSync(file)).toBe(false);
    const into = await runDblock(['append', dir, 'x']);
    expect(into.code).toBe(64);
  });
});

describe('--json on every command', () => {
  it('a usage error of any command prints one JSON object on stdout and exits 64', async () => {
    for (const command of [...COMMANDS.map((spec) => spec.name), 'no-such-command']) {
      const run = await runDblock([command, '--json', '--no-such-flag']);
      expect({ command, code: run.code }).toEqual({ command, code: 64 });
      expect(jsonOf(run.stdout)).toMatchObject({ error: { code: 'EUSAGE', exitCode: 64 } });
    }
  });

  it("--json after exec's -- belongs to the command, not to dblock", async () => {
    const run = await runDblock(['exec', '--no-such-flag', '--', 'echo', '--json']);
    expect(run.code).toBe(64);
    expect(run.stdout).toBe('');
  });

  it('append --json reports the file, the lock, the lines and the bytes it wrote', async () => {
    const file = join(tempDir(), 'events.jsonl');
    const one = await runDblock(['append', '--json', file, '{"a":1}']);
    expect(jsonOf(one.stdout)).toEqual({ file, lock: `${file}.lock`, lines: 1, bytes: 8 });
    const child = startDblock(['append', '--json', file], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.end('x\nyz\n');
    const piped = await finished(child);
    expect(jsonOf(piped.stdout)).toMatchObject({ file, lines: 2, bytes: 5 });
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\nx\nyz\n');
  });
});

describe('help text', () => {
  const help = async (command: string): Promise<string> => (await runDblock([command, '--help'])).stdout.replace(/\s+/g, ' ');

  it('init, check and checkpoint list the backends they take; postgres is refused there with 64', async () => {
    for (const command of ['init', 'check', 'checkpoint']) {
      expect(await help(command)).toMatch(
        /--backend <name> lock backend of the sidecars: flock \(.*\) or mkdir \(.*\) \(default: flock\)/,
      );
      const run = await runDblock([command, '--db', join(tempDir(), 'a.db'), '--backend', 'postgres']);
      expect(run.code).toBe(64);
    }
  });

  it('-v is offered only where a lock is taken, and refused elsewhere', async () => {
    for (const spec of COMMANDS) {
      expect({ command: spec.name, verbose: (await help(spec.name)).includes('--verbose') }).toEqual({
        command: spec.name,
        verbose: spec.takesLock,
      });
    }
    expect(COMMANDS.filter((spec) => !spec.takesLock).map((spec) => spec.name)).toEqual(
      expect.arrayContaining(['status', 'check', 'intents', 'reap', 'conflicts', 'bench']),
    );
    const refused = await runDblock(['-v', 'intents', '--registry', join(tempDir(), 'r.db')]);
    expect(refused.code).toBe(64);
  });

  it('stress --help shows the default mode and says what --db adds; bench --help lists every suite', async () => {
    const stress = await help('stress');
    expect(stress).toMatch(/--mode <mode> .* \(default: serialized\)/);
    expect(stress).toContain('dblock_stress table');
    const bench = await help('bench');
    for (const suite of SUITES) expect(bench).toContain(suite.name);
  });

  it('stress --db adds a dblock_stress table to the database and leaves its own tables as they were', async () => {
    const db = join(tempDir(), 'app.db');
    execFileSync('sqlite3', [db, 'CREATE TABLE mine (v); INSERT INTO mine VALUES (42);']);
    const run = await runDblock(['stress', '--db', db, '--workers', '2', '--ops', '5', '--json']);
    expect(run.code).toBe(0);
    const tables = execFileSync('sqlite3', [db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"]);
    expect(tables.toString().trim().split('\n')).toEqual(['dblock_stress', 'mine']);
    expect(execFileSync('sqlite3', [db, 'SELECT v FROM mine']).toString().trim()).toBe('42');
  }, 60_000);

  it('stress --db refuses a database whose dblock_stress table is the user own, and leaves it byte-for-byte', async () => {
    const db = join(tempDir(), 'app.db');
    execFileSync('sqlite3', [db, "CREATE TABLE dblock_stress (note TEXT); INSERT INTO dblock_stress VALUES ('keep me');"]);
    const before = readFileSync(db);
    const run = await runDblock(['stress', '--db', db, '--workers', '2', '--ops', '5']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^dblock: .*dblock_stress table \(columns note\).*\n$/);
    expect(readFileSync(db).equals(before)).toBe(true);
  }, 60_000);
});
