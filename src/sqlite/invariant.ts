import { statSync } from 'node:fs';
import { DblockError } from '../errors.js';

/** The numbers the rollback-journal invariant compares. */
export interface LengthFacts {
  readonly fileBytes: number;
  readonly pageCount: number;
  readonly pageSize: number;
}

/**
 * The WAL-aware invariant as a pure check: in rollback-journal modes the main file must
 * hold every page, so a shorter file is a torn extend. Returns the problem, or undefined when fine.
 * In WAL mode committed pages may still live in `-wal`, so callers skip this check there.
 */
export function tornExtend(facts: LengthFacts): string | undefined {
  const needed = facts.pageCount * facts.pageSize;
  if (facts.fileBytes >= needed) return undefined;
  return `main file is ${facts.fileBytes} bytes, shorter than page_count × page_size = ${facts.pageCount} × ${facts.pageSize} = ${needed} bytes (torn extend)`;
}

/**
 * After a commit in a rollback-journal mode: `stat` the file (never open it: closing a descriptor
 * would drop this process's SQLite locks) and compare. `stillRollback` re-reads the journal mode only
 * when the check fails, since another process may have switched the database to WAL meanwhile.
 * @throws DblockError EINVARIANT naming both numbers. The commit is durable: never retry it.
 */
export function assertCommitted(path: string, pageCount: number, pageSize: number, stillRollback: () => boolean): void {
  const problem = tornExtend({ fileBytes: statSync(path).size, pageCount, pageSize });
  if (problem === undefined || !stillRollback()) return;
  throw new DblockError(
    'EINVARIANT',
    `invariant failed after commit on ${path}: ${problem}; the commit is durable and is not retried`,
  );
}
