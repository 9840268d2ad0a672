import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Run SQL with the `sqlite3` CLI (an outside client) and return its output, trimmed. */
export function sqlite3(path: string, sql: string): string {
  return execFileSync('sqlite3', ['-batch', path, sql], { encoding: 'utf8' }).trim();
}

/** Every file in `dir` with its exact bytes: to prove a command changed nothing. */
export function snapshotDir(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) out.set(name, readFileSync(join(dir, name)));
  return out;
}

/** The names in `dir` that are a database's SQLite companions (-wal, -shm, -journal) that exist. */
export function companions(path: string): string[] {
  return ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(path + suffix));
}
