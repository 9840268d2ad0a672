import { DblockError, type DblockErrorOptions } from '../errors.js';
import { describeConflict, describeOther, moreConflicts } from './format.js';
import type { IntentConflict } from './types.js';

/** Why a submission was not admitted: refused at once, or its queue wait ran out. */
export type RefusalOutcome = 'refused' | 'timed-out' | 'duplicate-id';

/**
 * A declared intent was not admitted (`EINTENTCONFLICT`, exit 75): it overlaps an in-flight
 * task. `conflict` is the first overlap (task id, paths, pid, host, command, age); `details`
 * has all of them.
 * @example
 * try { await declareIntent(['data/']) } catch (e) { if (e instanceof IntentConflictError) console.log(e.conflict.otherTaskId) }
 */
export class IntentConflictError extends DblockError {
  readonly conflict: IntentConflict;
  readonly details: { outcome: RefusalOutcome; taskId: string; conflicts: readonly IntentConflict[] };

  constructor(outcome: RefusalOutcome, conflicts: readonly IntentConflict[], waitedMs = 0, options: DblockErrorOptions = {}) {
    const first = conflicts[0];
    if (first === undefined) throw new RangeError('IntentConflictError needs at least one conflict');
    super('EINTENTCONFLICT', formatMessage(outcome, first, conflicts.length, waitedMs), options);
    this.name = 'IntentConflictError';
    this.conflict = first;
    this.details = { outcome, taskId: first.taskId, conflicts };
  }
}

function formatMessage(outcome: RefusalOutcome, first: IntentConflict, count: number, waitedMs: number): string {
  switch (outcome) {
    case 'refused':
      return `intent refused: ${describeConflict(first)}${moreConflicts(count)}`;
    case 'timed-out':
      return `timed out after ${(waitedMs / 1000).toFixed(1)}s queued for ${first.path}: ${describeConflict(first)}${moreConflicts(count)}`;
    case 'duplicate-id':
      return `task id ${first.taskId} is already in flight: ${describeOther(first)}`;
  }
}
