import { connectError, openSession, type PgClient } from '../../backend/postgres/connect.js';
import { lockKeyOf } from '../../backend/postgres/lock-key.js';
import { DEFAULT_LEASE_MS } from '../../backend/postgres/postgres-backend.js';
import { PgLockSession } from '../../backend/postgres/session.js';
import { DblockError } from '../../errors.js';
import type { AdmissionTx, IntentStore, TaskLiveness } from '../store.js';
import { type TaskRow, taskFromRow } from '../task-store.js';
import type { ConflictRecord, IntentTask } from '../types.js';
import { pgAncestorTasks } from './pg-ancestors.js';
import { readPgConflicts } from './pg-conflicts.js';
import { holdPgLiveness, type PgTaskLiveness } from './pg-liveness.js';
import { LOAD_TASKS_SQL, NOW_SQL, withIntentSchema } from './pg-schema.js';
import { type LiveSession, type LoadedTask, PgAdmissionTx } from './pg-tx.js';
import { registryId } from './registry-id.js';

/**
 * Write intents in a PostgreSQL database, one scope of it: every admission is one transaction
 * serialized per scope by `pg_advisory_xact_lock`, so tasks on any number of machines declaring
 * overlapping paths at the same instant are admitted one at a time (under refuse: exactly one).
 */
export class PgIntentStore implements IntentStore {
  readonly id: string;
  readonly #url: string | undefined;
  readonly #scope: string;
  readonly #client: PgClient;
  /** Transactions on the one client must not interleave: each waits for the previous one. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Our own tasks' liveness sessions, by token (a new row names the session of its task). */
  readonly #live = new Map<string, PgTaskLiveness>();

  constructor(url: string | undefined, scope: string, client: PgClient) {
    this.#url = url;
    this.#scope = scope;
    this.#client = client;
    this.id = registryId(url, scope);
    client.connection.stream.unref();
  }

  transact<T>(write: boolean, fn: (tx: AdmissionTx) => T): Promise<T> {
    const run = this.#queue.then(() => this.#transact(write, fn));
    this.#queue = run.catch(() => {});
    return run;
  }

  async holdLiveness(token: string): Promise<TaskLiveness> {
    const live = await holdPgLiveness(this.#url, token, DEFAULT_LEASE_MS);
    this.#live.set(token, live);
    return {
      fd: live.fd,
      lost: live.lost,
      release: () => {
        this.#live.delete(token);
        live.release();
      },
    };
  }

  /** Waits in the server for the first blocker's liveness lock (shared, so waiters do not queue on each other). */
  async waitForRelease(tasks: readonly IntentTask[], until: number, signal: AbortSignal | undefined): Promise<void> {
    const first = tasks[0];
    if (first === undefined) return;
    const name = `intent ${first.token}`;
    const session = await PgLockSession.open(name, {
      url: this.#url,
      applicationName: `dblock wait ${name}`,
      connectTimeoutMs: 10_000,
      leaseMs: DEFAULT_LEASE_MS,
    });
    try {
      await session.waitFree('shared', { deadline: performance.now() + (until - Date.now()), signal });
    } finally {
      session.end();
    }
  }

  ancestorTasks(): Promise<Set<string>> {
    return pgAncestorTasks(this.#client, this.id, () => this.#ref());
  }

  async readConflicts(sinceMs: number): Promise<ConflictRecord[]> {
    return this.#use(() => withIntentSchema(this.#client, () => readPgConflicts(this.#client, this.#scope, sinceMs)));
  }

  sweepOrphans(): number {
    return 0; // the server frees a dead session's lock: nothing is left behind
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#client.connection.stream.ref(); // the goodbye must be sent before the process may end
    await this.#client.end().catch(() => {});
  }

  async #transact<T>(write: boolean, fn: (tx: AdmissionTx) => T): Promise<T> {
    return this.#use(async () => {
      const client = this.#client;
      if (!write) {
        const tx = await withIntentSchema(client, () => this.#load(undefined));
        const result = fn(tx);
        if (tx.pending.length > 0) throw new Error('a read-only registry transaction changed rows');
        return result;
      }
      try {
        const tx = await withIntentSchema(client, async () => {
          await client.query('BEGIN');
          // Every admission in this scope, from any machine, runs one at a time.
          await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKeyOf(`intent-scope ${this.#scope}`).key]);
          const next = (await client.query<{ seq: string }>("SELECT nextval('dblock_intent_seq')::text AS seq")).rows[0];
          return this.#load(Number(next?.seq));
        });
        const result = fn(tx);
        for (const { text, values } of tx.pending) await client.query(text, values);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async #load(nextSeq: number | undefined): Promise<PgAdmissionTx> {
    const now = Number((await this.#client.query<{ now: string }>(NOW_SQL)).rows[0]?.now);
    const { rows } = await this.#client.query<PgTaskRow>(LOAD_TASKS_SQL, [this.#scope]);
    const tasks: LoadedTask[] = rows.map((row) => ({ task: taskFromRow(row, row.paths), alive: row.alive }));
    // A submission's row names the session holding its liveness lock (looked up by its token).
    const liveOf = (token: string): LiveSession | undefined => {
      const mine = this.#live.get(token);
      return mine === undefined ? undefined : { backendPid: mine.backendPid, classid: mine.key.classid, objid: mine.key.objid };
    };
    return new PgAdmissionTx(this.#scope, now, tasks, nextSeq, liveOf);
  }

  /** Keep the process alive while a query is out; errors that are not SQL errors mean the server is gone. */
  async #use<T>(fn: () => Promise<T>): Promise<T> {
    const unref = this.#ref();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DblockError) throw err;
      const state = (err as { code?: unknown }).code;
      if (typeof state !== 'string' || !/^[0-9A-Z]{5}$/.test(state)) throw connectError(err, this.#url);
      throw new DblockError('EUNAVAILABLE', `postgres registry ${this.id}: ${(err as Error).message} (SQLSTATE ${state})`, {
        cause: err,
      });
    } finally {
      unref();
    }
  }

  #ref(): () => void {
    this.#client.connection.stream.ref();
    return () => this.#client.connection.stream.unref();
  }
}

/** A task row with bigints as text, its paths, and whether its liveness lock is held. */
interface PgTaskRow extends TaskRow<string> {
  paths: IntentTask['paths'];
  alive: boolean;
}

/** Connect the store's own session (transactions and reads). @throws DblockError EUNAVAILABLE, EPERM */
export async function openPgIntentStore(url: string | undefined, scope: string): Promise<PgIntentStore> {
  const client = await openSession({
    url,
    applicationName: `dblock intents ${scope}`,
    connectTimeoutMs: 10_000,
    leaseMs: DEFAULT_LEASE_MS,
  });
  return new PgIntentStore(url, scope, client);
}
