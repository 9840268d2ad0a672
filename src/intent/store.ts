import type { Blocker, Submission } from './admission.js';
import type { ConflictRecord, IntentTask } from './types.js';

/**
 * One admission transaction as the admission rules see it: synchronous, so the same rules run on
 * SQLite (a real `BEGIN IMMEDIATE`) and on PostgreSQL (rows read up front under a scope lock, the
 * changes sent before COMMIT). `now` is the store's clock (the server's, for PostgreSQL).
 */
export interface AdmissionTx {
  readonly now: number;
  /** Every task of the registry (or scope), in submission order. */
  loadTasks(): IntentTask[];
  /** Whether the task's holder still holds its liveness lock (TTL aside). */
  holderAlive(task: IntentTask): boolean;
  deleteTask(task: IntentTask): void;
  /** Insert a task and its paths; returns its `seq`. */
  insertTask(sub: Submission, admit: boolean, expiresAt: number | undefined): number;
  admitQueued(seq: number, expiresAt: number | undefined): void;
  /** Remove our own row (released, or gave up waiting). */
  removeTask(seq: number, token: string): void;
  logConflicts(sub: Submission, seq: number | undefined, blockers: readonly Blocker[], outcome: string): void;
  settleConflicts(seq: number, outcome: string, waitedMs: number | null): void;
}

/** A new task's liveness lock: held before its row exists, released when the task ends. */
export interface TaskLiveness {
  /** A descriptor a child process can inherit to keep the task alive (SQLite: a locked file; PostgreSQL: the session's socket). */
  readonly fd: number;
  /** Fires if the liveness lock is lost while the task runs (PostgreSQL: its session ended); a file lock cannot be. */
  readonly lost?: AbortSignal | undefined;
  release(): void;
}

/**
 * Where write intents live: a SQLite registry file, or a scope in a PostgreSQL database. The
 * admission rules (admission.ts) are the same for both; only transactions and liveness differ.
 */
export interface IntentStore {
  /** Names the registry in DBLOCK_INTENTS and in output: a file path, or `postgres://host:port/db#scope`. */
  readonly id: string;
  /** Run `fn` in one transaction (`write: false`: read only, nothing is changed). */
  transact<T>(write: boolean, fn: (tx: AdmissionTx) => T): Promise<T>;
  /** Take a new task's liveness lock. */
  holdLiveness(token: string): Promise<TaskLiveness>;
  /** Resolve when one of `tasks` may have ended (its liveness lock freed), at `until` (epoch ms), or on abort. */
  waitForRelease(tasks: readonly IntentTask[], until: number, signal: AbortSignal | undefined): Promise<void>;
  /** Ids of tasks that ancestors of this process hold here (verified), never in our way. */
  ancestorTasks(): Promise<Set<string>>;
  /** Conflict log since `sinceMs` (epoch ms), oldest first. */
  readConflicts(sinceMs: number): Promise<ConflictRecord[]>;
  /** Remove debris a crash left (liveness files of no task); returns how many. */
  sweepOrphans(kept: ReadonlySet<string>): number;
  close(): Promise<void>;
}
