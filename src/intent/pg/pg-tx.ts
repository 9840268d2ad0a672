import type { Blocker, Submission } from '../admission.js';
import { CONFLICT_LOG_MAX, conflictValues } from '../conflict-log.js';
import type { AdmissionTx } from '../store.js';
import { taskValues } from '../task-store.js';
import type { IntentTask } from '../types.js';

/** A statement to send before COMMIT. */
export interface PendingSql {
  readonly text: string;
  readonly values: unknown[];
}

/** The session holding a task's liveness lock, as its row records it. */
export interface LiveSession {
  readonly backendPid: number;
  readonly classid: number;
  readonly objid: number;
}

/** A loaded task and whether its holder's session still holds its liveness lock. */
export interface LoadedTask {
  readonly task: IntentTask;
  readonly alive: boolean;
}

/**
 * The admission rules' view of a PostgreSQL transaction: the scope's rows were read under the
 * scope's transaction-level advisory lock, so nobody can change them before our COMMIT; changes
 * are collected here and sent in the same transaction.
 */
export class PgAdmissionTx implements AdmissionTx {
  readonly now: number;
  readonly pending: PendingSql[] = [];
  readonly #scope: string;
  readonly #tasks: LoadedTask[];
  readonly #nextSeq: number | undefined;
  readonly #liveOf: (token: string) => LiveSession | undefined;
  #inserted = false;

  constructor(
    scope: string,
    now: number,
    tasks: LoadedTask[],
    nextSeq: number | undefined,
    liveOf: (token: string) => LiveSession | undefined,
  ) {
    this.#scope = scope;
    this.now = now;
    this.#tasks = tasks;
    this.#nextSeq = nextSeq;
    this.#liveOf = liveOf;
  }

  loadTasks(): IntentTask[] {
    return this.#tasks.map((t) => t.task);
  }

  holderAlive(task: IntentTask): boolean {
    return this.#tasks.find((t) => t.task.seq === task.seq)?.alive === true;
  }

  deleteTask(task: IntentTask): void {
    this.#add('DELETE FROM dblock_intent_task WHERE seq = $1', [task.seq]);
  }

  insertTask(sub: Submission, admit: boolean, expiresAt: number | undefined): number {
    const seq = this.#nextSeq;
    const live = this.#liveOf(sub.token);
    if (seq === undefined || live === undefined || this.#inserted)
      throw new Error('one insert per admission transaction, by a task of this process');
    this.#inserted = true;
    this.#add(
      `INSERT INTO dblock_intent_task (seq, scope, id, token, state, policy, pid, host, command, submitted_at, admitted_at,
         ttl_ms, expires_at, backend_pid, live_classid, live_objid, paths)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        seq,
        this.#scope,
        ...taskValues(sub, admit, this.now, expiresAt),
        live.backendPid,
        live.classid,
        live.objid,
        JSON.stringify(sub.paths.map(({ path, dir }) => ({ path, dir }))),
      ],
    );
    return seq;
  }

  admitQueued(seq: number, expiresAt: number | undefined): void {
    this.#add("UPDATE dblock_intent_task SET state = 'admitted', admitted_at = $2, expires_at = $3 WHERE seq = $1", [
      seq,
      this.now,
      expiresAt ?? null,
    ]);
  }

  removeTask(seq: number, token: string): void {
    this.#add('DELETE FROM dblock_intent_task WHERE seq = $1 AND token = $2', [seq, token]);
  }

  logConflicts(sub: Submission, seq: number | undefined, blockers: readonly Blocker[], outcome: string): void {
    for (const { conflict: c } of blockers) {
      this.#add(
        `INSERT INTO dblock_intent_conflict (scope, at, task_id, task_seq, pid, host, command, path, other_task_id, other_pid,
           other_host, other_command, other_path, other_state, policy, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [this.#scope, ...conflictValues(this.now, sub, seq, c, outcome)],
      );
    }
    // Each scope keeps its own most recent conflicts: a busy scope must not push out another's history.
    // By time on the (scope, at) index: entries logged in the same millisecond as the cut may stay.
    this.#add(
      `DELETE FROM dblock_intent_conflict WHERE scope = $1 AND at < (
         SELECT at FROM dblock_intent_conflict WHERE scope = $1 ORDER BY at DESC OFFSET $2 LIMIT 1)`,
      [this.#scope, CONFLICT_LOG_MAX - 1],
    );
  }

  settleConflicts(seq: number, outcome: string, waitedMs: number | null): void {
    this.#add(
      "UPDATE dblock_intent_conflict SET outcome = $2, waited_ms = $3 WHERE task_seq = $1 AND outcome = 'queued' AND scope = $4",
      [seq, outcome, waitedMs, this.#scope],
    );
  }

  #add(text: string, values: unknown[]): void {
    this.pending.push({ text, values });
  }
}
