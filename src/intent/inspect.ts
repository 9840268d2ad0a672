import { isLive, purgeTask } from './admission.js';
import { openStoreOnce } from './open-store.js';
import { type IntentPath, pathsOverlap, showPath } from './paths.js';
import type { IntentStore } from './store.js';
import type { StoreWhere } from './store-where.js';
import type { ConflictRecord, IntentTask } from './types.js';

/** An in-flight task as `dblock intents` shows it. */
export interface IntentListing {
  readonly taskId: string;
  readonly state: 'queued' | 'admitted';
  readonly policy: string;
  readonly paths: readonly string[];
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
  readonly ageMs: number;
  /** Milliseconds until the TTL lapses; null without a TTL. */
  readonly ttlLeftMs: number | null;
}

/** What `dblock reap` removed. */
export interface ReapReport {
  readonly removed: readonly (IntentListing & { reason: 'dead' | 'expired' })[];
  /** Liveness files that belonged to no task (a crash between creating one and registering). */
  readonly orphans: number;
}

/** A registry command's answer and the registry it read (a file path, or `postgres://…#scope`). */
export interface Inspected<T> {
  readonly registry: string;
  readonly result: T;
}

/**
 * In-flight tasks (alive and unexpired), in submission order; `touching` keeps only those whose
 * paths overlap it. A SQLite registry that does not exist yet has none (and is not created).
 */
export function listIntents(where: StoreWhere, touching?: IntentPath): Promise<Inspected<IntentListing[]>> {
  return withStore(where, [], (store) =>
    store.transact(false, (tx) =>
      tx
        .loadTasks()
        .filter((task) => isLive(tx, task))
        .filter((task) => touching === undefined || task.paths.some((p) => pathsOverlap(p, touching)))
        .map((task) => toListing(task, tx.now)),
    ),
  );
}

/** Remove dead and expired tasks (and orphaned liveness files) in one transaction, and say which. */
export function reapIntents(where: StoreWhere): Promise<Inspected<ReapReport>> {
  return withStore(where, { removed: [], orphans: 0 }, async (store) => {
    const { removed, kept } = await store.transact(true, (tx) => {
      const gone: (IntentListing & { reason: 'dead' | 'expired' })[] = [];
      const live = new Set<string>();
      for (const task of tx.loadTasks()) {
        if (isLive(tx, task)) {
          live.add(task.token);
          continue;
        }
        purgeTask(tx, task);
        const reason = task.expiresAt !== null && task.expiresAt <= tx.now ? 'expired' : 'dead';
        gone.push({ ...toListing(task, tx.now), reason });
      }
      return { removed: gone, kept: live };
    });
    return { removed, orphans: store.sweepOrphans(kept) };
  });
}

/** The conflict log since `sinceMs` (epoch ms), oldest first. */
export function listConflicts(where: StoreWhere, sinceMs: number): Promise<Inspected<ConflictRecord[]>> {
  return withStore(where, [], (store) => store.readConflicts(sinceMs));
}

async function withStore<T>(where: StoreWhere, empty: T, fn: (store: IntentStore) => Promise<T>): Promise<Inspected<T>> {
  const { id, store } = await openStoreOnce(where);
  if (store === undefined) return { registry: id, result: empty };
  try {
    return { registry: id, result: await fn(store) };
  } finally {
    await store.close();
  }
}

function toListing(task: IntentTask, now: number): IntentListing {
  return {
    taskId: task.id,
    state: task.state,
    policy: task.policy,
    paths: task.paths.map(showPath),
    pid: task.pid,
    host: task.host,
    command: task.command,
    since: new Date(task.submittedAt).toISOString(),
    ageMs: now - task.submittedAt,
    ttlLeftMs: task.expiresAt === null ? null : task.expiresAt - now,
  };
}
