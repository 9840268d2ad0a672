import { randomBytes } from 'node:crypto';
import { DblockError } from '../errors.js';
import { currentCommand } from '../lock/holder-record.js';
import { hostName } from '../util/host-name.js';
import { type Decision, recheckTx, type Submission, submitTx } from './admission.js';
import { describeConflict, moreConflicts } from './format.js';
import { IntentConflictError } from './intent-error.js';
import { IntentHandle } from './intent-handle.js';
import { openStoreCached } from './open-store.js';
import { type DeclareIntentOptions, resolveIntentOptions } from './options.js';
import { showPath } from './paths.js';
import type { IntentStore } from './store.js';

/**
 * Declare the paths a task will write, before it starts. Admission is atomic: the
 * conflict check and the insert are one registry transaction. Overlapping in-flight tasks are
 * handled by `policy`: `refuse` throws, `queue` waits its turn (FIFO), `warn` admits and warns.
 * The intent lives until `release()`, its TTL, or the death of this process (a kernel lock).
 * @throws IntentConflictError `EINTENTCONFLICT` (refused, or the queue wait timed out); DblockError
 * EUSAGE, EBADTARGET, ENOTDB (registry not a database), EPERM (registry not writable), EABORTED
 * @example
 * await using intent = await declareIntent(['data/', 'report.json'], { policy: 'queue', timeout: '2m' });
 */
export async function declareIntent(
  paths: string | readonly string[],
  options: DeclareIntentOptions = {},
): Promise<IntentHandle> {
  const started = Date.now();
  const opts = resolveIntentOptions(paths, options);
  const store = await openStoreCached(opts.where);
  const token = randomBytes(12).toString('hex');
  // Held before the row exists, so nobody can ever see our row with a free lock while we live.
  const live = await store.holdLiveness(token);
  let sub: Submission;
  try {
    sub = {
      id: opts.taskId,
      token,
      policy: opts.policy,
      paths: opts.paths,
      pid: process.pid,
      host: hostName(),
      command: opts.command ?? currentCommand(),
      ttlMs: opts.ttlMs,
      ancestors: await store.ancestorTasks(),
    };
  } catch (err) {
    live.release();
    throw err;
  }
  try {
    let decision = await store.transact(true, (tx) => submitTx(tx, sub));
    const conflicts = decision.blockers.map((b) => b.conflict);
    if (decision.outcome === 'refused' || decision.outcome === 'duplicate-id') {
      throw new IntentConflictError(decision.outcome, conflicts);
    }
    if (decision.outcome === 'admitted' && conflicts.length > 0) warn(options, conflicts);
    if (decision.outcome === 'queued') {
      options.onQueued?.(conflicts);
      decision = await waitForTurn(store, sub, decision, started + opts.timeoutMs, opts.signal);
    }
    return new IntentHandle({
      taskId: opts.taskId,
      paths: opts.paths.map(showPath),
      policy: opts.policy,
      store,
      seq: decision.seq as number,
      token,
      live,
      expiresAt: decision.expiresAt,
      waitedMs: Date.now() - started,
      conflicts,
    });
  } catch (err) {
    live.release();
    throw err;
  }
}

/** Wait until no admitted or earlier-queued task overlaps ours, then admit (in the same transaction). */
async function waitForTurn(
  store: IntentStore,
  sub: Submission,
  first: Decision,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<Decision> {
  const started = Date.now();
  let decision = first;
  for (;;) {
    const seq = decision.seq as number;
    if (Date.now() >= deadline || signal?.aborted) {
      const waited = Date.now() - started;
      const aborted = signal?.aborted === true;
      await store.transact(true, (tx) => {
        tx.removeTask(seq, sub.token);
        tx.settleConflicts(seq, aborted ? 'aborted' : 'timed-out', waited);
      });
      if (aborted)
        throw new DblockError('EABORTED', `gave up waiting for write intent ${sub.id}: aborted`, { cause: signal?.reason });
      throw new IntentConflictError(
        'timed-out',
        decision.blockers.map((b) => b.conflict),
        waited,
      );
    }
    // A blocker goes when its lock is released (or its holder dies) or when its TTL runs out.
    const expiries = decision.blockers.map((b) => b.task.expiresAt ?? Number.POSITIVE_INFINITY);
    const until = Math.min(deadline, ...expiries);
    await store.waitForRelease(
      decision.blockers.map((b) => b.task),
      until,
      signal,
    );
    decision = await store.transact(true, (tx) => {
      const next = recheckTx(tx, sub, seq);
      if (next.outcome === 'admitted') tx.settleConflicts(next.seq as number, 'waited', Date.now() - started);
      return next;
    });
    if (decision.outcome === 'admitted') return decision;
    // Our row vanished (reaped by mistake) and, submitting again, our task id is now someone else's.
    if (decision.outcome === 'duplicate-id')
      throw new IntentConflictError(
        'duplicate-id',
        decision.blockers.map((b) => b.conflict),
      );
  }
}

function warn(options: DeclareIntentOptions, conflicts: IntentConflictError['details']['conflicts']): void {
  const first = conflicts[0];
  if (first === undefined) return;
  const message = `write intent overlaps an in-flight task (admitted by policy warn): ${describeConflict(first)}${moreConflicts(conflicts.length)}`;
  if (options.onWarning) options.onWarning(message, conflicts);
  else process.emitWarning(message, { code: 'EINTENTCONFLICT' });
}
