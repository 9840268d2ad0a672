import { LivenessLock, probeLiveness, removeLivenessFile, waitForRelease } from '../lock/liveness.js';
import type { SqliteConnection } from '../sqlite/connection.js';
import type { Blocker, Submission } from './admission.js';
import { logConflicts, readConflicts, settleConflicts } from './conflict-log.js';
import { ancestorTasks } from './inherited.js';
import { sweepOrphans } from './orphans.js';
import type { IntentRegistry } from './registry.js';
import type { AdmissionTx, IntentStore, TaskLiveness } from './store.js';
import { deleteTask, insertTask, loadTasks, removeTask, stmt } from './task-store.js';
import type { ConflictRecord, IntentTask } from './types.js';

/** The SQLite registry (one file per machine) as an intent store: liveness by a locked file per task. */
export class SqliteIntentStore implements IntentStore {
  readonly registry: IntentRegistry;

  constructor(registry: IntentRegistry) {
    this.registry = registry;
  }

  get id(): string {
    return this.registry.path;
  }

  async transact<T>(write: boolean, fn: (tx: AdmissionTx) => T): Promise<T> {
    const purged: string[] = [];
    const run = (sqlite: SqliteConnection): T => fn(new SqliteTx(sqlite, this.registry, Date.now(), purged));
    const result = await (write ? this.registry.db.write(run) : this.registry.db.read(run));
    // After commit: a liveness file is unlinked only once no row names it.
    for (const token of purged) removeLivenessFile(this.registry.livePath(token));
    return result;
  }

  async holdLiveness(token: string): Promise<TaskLiveness> {
    return LivenessLock.create(this.registry.livePath(token));
  }

  waitForRelease(tasks: readonly IntentTask[], until: number, signal: AbortSignal | undefined): Promise<void> {
    return waitForRelease(
      tasks.map((task) => this.registry.livePath(task.token)),
      until,
      signal,
    );
  }

  async ancestorTasks(): Promise<Set<string>> {
    return ancestorTasks(this.registry.path);
  }

  readConflicts(sinceMs: number): Promise<ConflictRecord[]> {
    return this.registry.db.read((sqlite) => readConflicts(sqlite, sinceMs));
  }

  sweepOrphans(kept: ReadonlySet<string>): number {
    return sweepOrphans(this.registry.liveDir, kept, Date.now());
  }

  close(): Promise<void> {
    return this.registry.close();
  }
}

class SqliteTx implements AdmissionTx {
  readonly now: number;
  readonly #sqlite: SqliteConnection;
  readonly #registry: IntentRegistry;
  readonly #purged: string[];

  constructor(sqlite: SqliteConnection, registry: IntentRegistry, now: number, purged: string[]) {
    this.#sqlite = sqlite;
    this.#registry = registry;
    this.now = now;
    this.#purged = purged;
  }

  loadTasks(): IntentTask[] {
    return loadTasks(this.#sqlite);
  }

  holderAlive(task: IntentTask): boolean {
    return probeLiveness(this.#registry.livePath(task.token)) === 'held';
  }

  deleteTask(task: IntentTask): void {
    deleteTask(this.#sqlite, task.seq);
    this.#purged.push(task.token);
  }

  insertTask(sub: Submission, admit: boolean, expiresAt: number | undefined): number {
    return insertTask(this.#sqlite, sub, admit, this.now, expiresAt);
  }

  admitQueued(seq: number, expiresAt: number | undefined): void {
    stmt(this.#sqlite, "UPDATE tasks SET state = 'admitted', admitted_at = ?, expires_at = ? WHERE seq = ?").run(
      this.now,
      expiresAt ?? null,
      seq,
    );
  }

  removeTask(seq: number, token: string): void {
    removeTask(this.#sqlite, seq, token);
  }

  logConflicts(sub: Submission, seq: number | undefined, blockers: readonly Blocker[], outcome: string): void {
    logConflicts(this.#sqlite, sub, seq, blockers, outcome, this.now);
  }

  settleConflicts(seq: number, outcome: string, waitedMs: number | null): void {
    settleConflicts(this.#sqlite, seq, outcome, waitedMs);
  }
}
