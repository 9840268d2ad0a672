import { firstOverlap, type IntentPath, showPath } from './paths.js';
import type { AdmissionTx } from './store.js';
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
}

/**
 * Check and insert in one transaction (so N simultaneous submitters of one path admit exactly one):
 * remove dead or expired tasks in the way, then admit, queue, or refuse by policy, and log overlaps.
 */
export function submitTx(tx: AdmissionTx, sub: Submission): Decision {
  const now = tx.now;
  const tasks = liveTasks(tx, tx.loadTasks(), sub);
  const same = tasks.find((task) => task.id === sub.id);
  if (same !== undefined) {
    const overlap = firstOverlap(sub.paths, same.paths) ?? { path: sub.paths[0] as IntentPath, other: same.paths[0] ?? NO_PATH };
    const conflict = toConflict(sub.id, same, overlap, now);
    return { outcome: 'duplicate-id', seq: undefined, blockers: [{ task: same, conflict }], expiresAt: undefined };
  }
  const blockers = blockersOf(sub, tasks, undefined, now);
  if (blockers.length > 0 && sub.policy === 'refuse') {
    tx.logConflicts(sub, undefined, blockers, 'refused');
    return { outcome: 'refused', seq: undefined, blockers, expiresAt: undefined };
  }
  const admit = blockers.length === 0 || sub.policy === 'warn';
  const expiresAt = admit && sub.ttlMs !== undefined && Number.isFinite(sub.ttlMs) ? now + sub.ttlMs : undefined;
  const seq = tx.insertTask(sub, admit, expiresAt);
  if (blockers.length > 0) tx.logConflicts(sub, seq, blockers, admit ? 'warned' : 'queued');
  return { outcome: admit ? 'admitted' : 'queued', seq, blockers, expiresAt };
}

/**
 * A queued task's turn? Admitted when no admitted task and no earlier queued task overlaps it
 * (first come, first served among waiters for overlapping paths). Returns the blockers otherwise.
 */
export function recheckTx(tx: AdmissionTx, sub: Submission, seq: number): Decision {
  const now = tx.now;
  const all = tx.loadTasks();
  if (!all.some((task) => task.seq === seq)) {
    // Our row was removed (a `dblock reap` that misjudged us, or a wiped registry): submit again.
    return submitTx(tx, sub);
  }
  const tasks = liveTasks(tx, all, sub);
  const blockers = blockersOf(sub, tasks, seq, now);
  if (blockers.length > 0) return { outcome: 'queued', seq, blockers, expiresAt: undefined };
  const expiresAt = sub.ttlMs !== undefined && Number.isFinite(sub.ttlMs) ? now + sub.ttlMs : undefined;
  tx.admitQueued(seq, expiresAt);
  return { outcome: 'admitted', seq, blockers, expiresAt };
}

/** Tasks that are alive and unexpired; the others (only those that could be in our way) are deleted. */
function liveTasks(tx: AdmissionTx, tasks: IntentTask[], sub: Submission): IntentTask[] {
  return tasks.filter((task) => {
    const relevant = task.id === sub.id || firstOverlap(sub.paths, task.paths) !== undefined;
    if (!relevant || task.token === sub.token) return true;
    if (isLive(tx, task)) return true;
    purgeTask(tx, task);
    return false;
  });
}

/** Delete a dead or expired task; a waiter that died in the queue leaves its conflicts `abandoned`. */
export function purgeTask(tx: AdmissionTx, task: IntentTask): void {
  tx.deleteTask(task);
  if (task.state === 'queued') tx.settleConflicts(task.seq, 'abandoned', null);
}

/** Alive (its liveness lock is held) and not past its TTL. */
export function isLive(tx: AdmissionTx, task: IntentTask): boolean {
  if (task.expiresAt !== null && task.expiresAt <= tx.now) return false;
  return tx.holderAlive(task);
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
