import type { SqliteConnection } from '../sqlite/connection.js';
import type { IntentTask } from './types.js';

// Row-level SQL of the registry. Every function runs inside the caller's write transaction.

/**
 * A task row as a driver returns it: SQLite gives its integers as numbers, PostgreSQL its bigints as
 * text (`N = string`); `taskFromRow` reads either.
 */
export interface TaskRow<N extends number | string = number> {
  seq: N;
  id: string;
  token: string;
  state: IntentTask['state'];
  policy: IntentTask['policy'];
  pid: number;
  host: string;
  command: string;
  submitted_at: N;
  admitted_at: N | null;
  ttl_ms: N | null;
  expires_at: N | null;
}

const numberOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

/** The task a row describes, with its paths. */
export function taskFromRow<N extends number | string>(row: TaskRow<N>, paths: IntentTask['paths']): IntentTask {
  return {
    seq: Number(row.seq),
    id: row.id,
    token: row.token,
    state: row.state,
    policy: row.policy,
    pid: row.pid,
    host: row.host,
    command: row.command,
    submittedAt: Number(row.submitted_at),
    admittedAt: numberOrNull(row.admitted_at),
    ttlMs: numberOrNull(row.ttl_ms),
    expiresAt: numberOrNull(row.expires_at),
    paths,
  };
}

/** The part of a prepared statement the registry uses (typed structurally: only sqlite/ names better-sqlite3). */
export interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

const statements = new WeakMap<SqliteConnection, Map<string, Statement>>();

/** A prepared statement, compiled once per connection: preparing costs as much as running these. */
export function stmt(sqlite: SqliteConnection, sql: string): Statement {
  let cache = statements.get(sqlite);
  if (cache === undefined) {
    cache = new Map();
    statements.set(sqlite, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = sqlite.prepare<unknown[]>(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Every task in the registry with its paths, in submission order (call inside a transaction). */
export function loadTasks(sqlite: SqliteConnection): IntentTask[] {
  const rows = stmt(sqlite, 'SELECT * FROM tasks ORDER BY seq').all() as TaskRow[];
  const paths = stmt(sqlite, 'SELECT seq, path, is_dir FROM task_paths').all() as {
    seq: number;
    path: string;
    is_dir: number;
  }[];
  const bySeq = new Map<number, { path: string; dir: boolean }[]>();
  for (const p of paths) {
    const list = bySeq.get(p.seq) ?? [];
    list.push({ path: p.path, dir: p.is_dir === 1 });
    bySeq.set(p.seq, list);
  }
  return rows.map((row) => taskFromRow(row, bySeq.get(row.seq) ?? []));
}

/** Remove a task and its paths. */
export function deleteTask(sqlite: SqliteConnection, seq: number): void {
  stmt(sqlite, 'DELETE FROM task_paths WHERE seq = ?').run(seq);
  stmt(sqlite, 'DELETE FROM tasks WHERE seq = ?').run(seq);
}

/** What a submitted task brings to its row (the rest is decided at admission). */
export type NewTask = Omit<IntentTask, 'seq' | 'state' | 'submittedAt' | 'admittedAt' | 'ttlMs' | 'expiresAt'> & {
  ttlMs: number | undefined;
};

/**
 * The values of a new task row from `id` to `expires_at`, in the column order both registries use
 * (id, token, state, policy, pid, host, command, submitted_at, admitted_at, ttl_ms, expires_at).
 */
export function taskValues(sub: NewTask, admit: boolean, now: number, expiresAt: number | undefined): unknown[] {
  return [
    sub.id,
    sub.token,
    admit ? 'admitted' : 'queued',
    sub.policy,
    sub.pid,
    sub.host,
    sub.command,
    now,
    admit ? now : null,
    sub.ttlMs !== undefined && Number.isFinite(sub.ttlMs) ? sub.ttlMs : null,
    expiresAt ?? null,
  ];
}

/** Insert a task and its paths; returns its `seq`. */
export function insertTask(
  sqlite: SqliteConnection,
  sub: NewTask,
  admit: boolean,
  now: number,
  expiresAt: number | undefined,
): number {
  const { lastInsertRowid } = stmt(
    sqlite,
    `INSERT INTO tasks (id, token, state, policy, pid, host, command, submitted_at, admitted_at, ttl_ms, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(...taskValues(sub, admit, now, expiresAt));
  const seq = Number(lastInsertRowid);
  const addPath = stmt(sqlite, 'INSERT INTO task_paths (seq, path, is_dir) VALUES (?, ?, ?)');
  for (const p of sub.paths) addPath.run(seq, p.path, p.dir ? 1 : 0);
  return seq;
}

/** Remove our own row (released, or gave up waiting). */
export function removeTask(sqlite: SqliteConnection, seq: number, token: string): void {
  const row = stmt(sqlite, 'SELECT seq FROM tasks WHERE seq = ? AND token = ?').get(seq, token);
  if (row !== undefined) deleteTask(sqlite, seq);
}
