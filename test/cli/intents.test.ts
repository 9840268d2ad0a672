import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runDblockAs } from '../helpers/world-readable-install.js';
import { holdIntent, releaseHolder, scratch } from '../intent/helpers.js';

const NOBODY = 65534;
const sqlite = (db: string, sql: string): string => execFileSync('sqlite3', [db, sql]).toString().trim();

describe('dblock intents, reap, conflicts, status', () => {
  it('lists in-flight tasks with paths, pid, host, command, age and TTL left; status shows those touching its target', async () => {
    const { dir, registry } = scratch();
    const db = join(dir, 'app.db');
    const { child } = await holdIntent([db, `${dir}/logs/`], { registry, taskId: 'builder', ttl: '10m', command: 'make all' });
    await holdIntent([join(dir, 'other.txt')], { registry, taskId: 'unrelated' });
    const json = JSON.parse((await runDblock(['intents', '--json', '--registry', registry])).stdout);
    expect(json.intents).toHaveLength(2);
    expect(json.intents[0]).toMatchObject({
      taskId: 'builder',
      state: 'admitted',
      paths: [db, `${dir}/logs/`],
      pid: child.pid,
      host: hostname(),
      command: 'make all',
    });
    expect(json.intents[0].ttlLeftMs).toBeGreaterThan(0);
    expect(json.intents[0].ageMs).toBeGreaterThanOrEqual(0);
    const text = (await runDblock(['intents', '--registry', registry])).stdout;
    expect(text).toMatch(/^builder admitted pid \d+ on .* TTL .* left: "make all" → /m);
    const status = JSON.parse((await runDblock(['status', '--db', db, '--json', '--registry', registry])).stdout);
    expect(status.intents.map((i: { taskId: string }) => i.taskId)).toEqual(['builder']);
    expect((await runDblock(['status', '--db', db, '--registry', registry])).stdout).toContain('write intent: builder admitted');
    await releaseHolder(child);
    expect(JSON.parse((await runDblock(['intents', '--json', '--registry', registry])).stdout).intents).toHaveLength(1);
  });

  it('conflicts --since filters the log by duration or date; a missing registry reads as empty and is not created', async () => {
    const { dir, registry } = scratch();
    await holdIntent([join(dir, 'a')], { registry, taskId: 'h' });
    await runDblock(['exec', '--registry', registry, '--writes', join(dir, 'a'), '--', 'true']);
    const recent = JSON.parse((await runDblock(['conflicts', '--json', '--since', '1h', '--registry', registry])).stdout);
    expect(recent.conflicts).toHaveLength(1);
    expect(recent.conflicts[0]).toMatchObject({ otherTaskId: 'h', path: join(dir, 'a'), policy: 'refuse', outcome: 'refused' });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(
      JSON.parse((await runDblock(['conflicts', '--json', '--since', future, '--registry', registry])).stdout).conflicts,
    ).toEqual([]);
    expect((await runDblock(['conflicts', '--since', 'yesterday-ish', '--registry', registry])).code).toBe(64);
    const nowhere = join(dir, 'none.db');
    expect((await runDblock(['intents', '--registry', nowhere])).stdout).toBe('no write intents in flight\n');
    expect((await runDblock(['reap', '--registry', nowhere])).stdout).toBe('nothing to reap\n');
    expect(existsSync(nowhere)).toBe(false);
  });

  it('creates DBLOCK_HOME (or $XDG_STATE_HOME/dblock) with mode 0700', async () => {
    const dir = tempDir();
    const env = { ...process.env, DBLOCK_HOME: undefined, XDG_STATE_HOME: join(dir, 'state') };
    expect((await runDblock(['exec', '--writes', join(dir, 'f'), '--', 'true'], { env })).code).toBe(0);
    expect(statSync(join(dir, 'state', 'dblock')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(dir, 'state', 'dblock', 'intents.db'))).toBe(true);
  });
});

describe('registry commands', () => {
  it('show examples in --help', async () => {
    for (const command of ['intents', 'reap', 'conflicts']) {
      const { io, out } = captureIo();
      expect(await main(['node', 'dblock', command, '--help'], io)).toBe(0);
      expect(out.stdout).toContain('Examples:');
    }
  });
});

describe('bad input to write intents', () => {
  it('refuses a registry that is not a database (65) and leaves it unchanged', async () => {
    const { dir, env } = scratch();
    const registry = join(dir, 'notes.txt');
    writeFileSync(registry, 'not a database, and it must stay that way\n');
    const result = await runDblock(['exec', '--registry', registry, '--writes', join(dir, 'x'), '--', 'true']);
    expect(result.code).toBe(65);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('registry');
    expect(readFileSync(registry, 'utf8')).toBe('not a database, and it must stay that way\n');
    // Someone else's SQLite database is not migrated into a registry either.
    const theirs = join(dir, 'theirs.db');
    sqlite(theirs, 'CREATE TABLE customers (id INTEGER PRIMARY KEY)');
    const foreign = await runDblock(['exec', '--writes', join(dir, 'x'), '--registry', theirs, '--', 'true'], { env });
    expect(foreign.code).toBe(65);
    expect(sqlite(theirs, "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'table'")).toBe('customers');
  });

  it('refuses an unwritable DBLOCK_HOME with 77', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755); // nobody may enter but not create
    const readOnly = join(dir, 'home');
    mkdirSync(readOnly, { mode: 0o755 });
    for (const home of [join(dir, 'missing'), readOnly]) {
      const result = await runDblockAs(NOBODY, ['exec', '--writes', '/tmp/x', '--', 'true'], {
        env: { ...process.env, DBLOCK_HOME: home },
      });
      expect(result.code).toBe(77);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(home);
    }
  });

  it('refuses empty --writes, an unknown policy, a bad TTL and intent flags without --writes with 64', async () => {
    const { dir, env } = scratch();
    const cases = [
      ['exec', '--writes', '', '--', 'true'],
      ['exec', '--writes', join(dir, 'x'), '--policy', 'sometimes', '--', 'true'],
      ['exec', '--writes', join(dir, 'x'), '--ttl', 'soon', '--', 'true'],
      ['exec', '--db', join(dir, 'app.db'), '--policy', 'queue', '--', 'true'],
      ['exec', '--', 'true'],
    ];
    for (const args of cases) {
      const result = await runDblock(args, { env });
      expect(result.code, args.join(' ')).toBe(64);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'home', 'intents.db'))).toBe(false);
  });
});
