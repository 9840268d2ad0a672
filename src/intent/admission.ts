import { probeLiveness } from '../lock/liveness.js';
import type { SqliteConnection } from '../sqlite/connection.js';
import { logConflicts, settleConflicts } from './conflict-log.js';
import { firstOverlap, type IntentPath, showPath } from './paths.js';
import type { IntentRegistry } from './registry.js';
import { deleteTask, insertTask, loadTasks, stmt } from './task-store.js';
import type { IntentConflict, IntentPolicy, IntentTask } from './types.js';

const NO_PATH: IntentPath = { path: '', dir: false };

/** A submission: who declares which paths, under which policy. */
export interface Submission {
  readonly id: string;
  readonly token: string;
  readonly policy: IntentPolicy;
  readonly paths: readonly IntentPath[];
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly ttlMs: number | undefined;
  /** Tasks of ancestor processes (verified through inherited descriptors): never in the way. */
  readonly ancestors: ReadonlySet<string>;
}

/** A task in the way, and where it overlaps. */
export interface Blocker {
  readonly task: IntentTask;
  readonly conflict: IntentConflict;
}

/** What one admission transaction decided. */
export interface Decision {
  readonly outcome: 'admitted' | 'queued' | 'refused' | 'duplicate-id';
  /** Our row (absent when refused). */
  readonly seq: number | undefined;
  readonly blockers: readonly Blocker[];
  readonly expiresAt: number | undefined;
  /** Tasks found dead or expired and removed: their liveness files are to be unlinked after commit. */
  readonly purged: readonly IntentTask[];
}

/**
 * Check and insert in one transaction (so N simultaneous submitters of one path admit exactly one):
 * remove dead or expired tasks in the way, then admit, queue, or refuse by policy, and log overlaps.
 */
export function submitTx(sqlite: SqliteConnection, registry: IntentRegistry, sub: Submission, now: number): Decision {
  const purged: IntentTask[] = [];
  const tasks = liveTasks(sqlite, registry, loadTasks(sqlite), now, purged, sub);
  const same = tasks.find((task) => task.id === sub.id);
  if (same !== undefined) {
    const overlap = firstOverlap(sub.paths, same.paths) ?? { path: sub.paths[0] as IntentPath, other: same.paths[0] ?? NO_PATH };
    const conflict = toConflict(sub.id, same, overlap, now);
    return { outcome: 'duplicate-id', seq: undefined, blockers: [{ task: same, conflict }], expiresAt: undefined, purged };
  }
  const blockers = blockersOf(sub, tasks, undefined, now);
  if (blockers.length > 0 && sub.policy === 'refuse') {
    logConflicts(sqlite, sub, undefined, blockers, 'refused', now);
    return { outcome: 'refused', seq: undefined, blockers, expiresAt: undefined, purged };
  }
  const admit = blockers.length === 0 || sub.policy === 'warn';
  const expiresAt = admit && sub.ttlMs !== undefined && Number.isFinite(sub.ttlMs) ? now + sub.ttlMs : undefined;
  const seq = insertTask(sqlite, sub, admit, now, expiresAt);
  if (blockers.length > 0) logConflicts(sqlite, sub, seq, blockers, admit ? 'warned' : 'queued', now);
  return { outcome: admit ? 'admitted' : 'queued', seq, blockers, expiresAt, purged };
}

/**
 * A queued task's turn? Admitted when no admitted task and no earlier queued task overlaps it
 * (first come, first served among waiters for overlapping paths). Returns the blockers otherwise.
 */
export function recheckTx(
  sqlite: SqliteConnection,
  registry: IntentRegistry,
  sub: Submission,
  seq: number,
  now: number,
): Decision {
  const purged: IntentTask[] = [];
  const all = loadTasks(sqlite);
  if (!all.some((task) => task.seq === seq)) {
    // Our row was removed (a `dblock reap` that misjudged us, or a wiped registry): submit again.
    return submitTx(sqlite, registry, sub, now);
  }
  const tasks = liveTasks(sqlite, registry, all, now, purged, sub);
  const blockers = blockersOf(sub, tasks, seq, now);
  if (blockers.length > 0) return { outcome: 'queued', seq, blockers, expiresAt: undefined, purged };
  const expiresAt = sub.ttlMs !== undefined && Number.isFinite(sub.ttlMs) ? now + sub.ttlMs : undefined;
  stmt(sqlite, "UPDATE tasks SET state = 'admitted', admitted_at = ?, expires_at = ? WHERE seq = ?").run(
    now,
    expiresAt ?? null,
    seq,
  );
  return { outcome: 'admitted', seq, blockers, expiresAt, purged };
}

/** Tasks that are alive and unexpired; the others (only those that could be in our way) are deleted. */
function liveTasks(
  sqlite: SqliteConnection,
  registry: IntentRegistry,
  tasks: IntentTask[],
  now: number,
  purged: IntentTask[],
  sub: Submission,
): IntentTask[] {
  return tasks.filter((task) => {
    const relevant = task.id === sub.id || firstOverlap(sub.paths, task.paths) !== undefined;
    if (!relevant || task.token === sub.token) return true;
    if (isLive(registry, task, now)) return true;
    purgeTask(sqlite, task);
    purged.push(task);
    return false;
  });
}

/** Delete a dead or expired task; a waiter that died in the queue leaves its conflicts `abandoned`. */
export function purgeTask(sqlite: SqliteConnection, task: IntentTask): void {
  deleteTask(sqlite, task.seq);
  if (task.state === 'queued') settleConflicts(sqlite, task.seq, 'abandoned', null);
}

/** Alive (its liveness lock is held) and not past its TTL. */
export function isLive(registry: IntentRegistry, task: IntentTask, now: number): boolean {
  if (task.expiresAt !== null && task.expiresAt <= now) return false;
  return probeLiveness(registry.livePath(task.token)) === 'held';
}

function blockersOf(sub: Submission, tasks: readonly IntentTask[], seq: number | undefined, now: number): Blocker[] {
  const out: Blocker[] = [];
  for (const task of tasks) {
    if (task.seq === seq || sub.ancestors.has(task.id)) continue;
    // Waiters queued after us never hold us back: that is what makes the queue FIFO.
    if (seq !== undefined && task.state === 'queued' && task.seq > seq) continue;
    const overlap = firstOverlap(sub.paths, task.paths);
    if (overlap !== undefined) out.push({ task, conflict: toConflict(sub.id, task, overlap, now) });
  }
  return out;
}

function toConflict(
  taskId: string,
  task: IntentTask,
  overlap: { path: IntentPath; other: IntentPath },
  now: number,
): IntentConflict {
  return {
    taskId,
    path: showPath(overlap.path),
    otherTaskId: task.id,
    otherPath: showPath(overlap.other),
    otherState: task.state,
    pid: task.pid,
    host: task.host,
    command: task.command,
    since: new Date(task.submittedAt).toISOString(),
    ageMs: now - task.submittedAt,
  };
}
