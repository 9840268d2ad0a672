import { DblockError } from '../errors.js';
import { lineOf, type SqlStatement, splitStatements } from './sql-statements.js';

/**
 * Why a statement cannot run inside the transaction dblock wraps each migration in, or undefined.
 * COMMIT/END/ROLLBACK would end it early (what ran before commits, the rest runs unprotected and
 * `user_version` never moves); BEGIN, VACUUM and a journal-mode change fail or do nothing there.
 * SAVEPOINT, RELEASE and ROLLBACK TO nest inside it and stay allowed.
 */
export function transactionControl(statement: SqlStatement): string | undefined {
  const [first, second, third] = statement.words;
  switch (first) {
    case 'BEGIN':
    case 'COMMIT':
    case 'END':
      return `${first} (transaction control)`;
    case 'ROLLBACK':
      // ROLLBACK [TRANSACTION] TO [SAVEPOINT] name only undoes to a savepoint.
      if (second === 'TO' || (second === 'TRANSACTION' && third === 'TO')) return undefined;
      return 'ROLLBACK (transaction control)';
    case 'VACUUM':
      return 'VACUUM (cannot run inside a transaction)';
    case 'PRAGMA':
      return setsJournalMode(statement.words)
        ? 'PRAGMA journal_mode (cannot change inside a transaction; use the journal mode option)'
        : undefined;
    default:
      return undefined;
  }
}

/** `PRAGMA [schema.]journal_mode = x` or `(x)`; reading it is harmless. */
function setsJournalMode(words: readonly string[]): boolean {
  const name = words[2] === '.' ? 3 : 1;
  return words[name] === 'JOURNAL_MODE' && (words[name + 1] === '=' || words[name + 1] === '(');
}

/**
 * Refuse a migration that controls transactions itself, before anything is opened or applied:
 * dblock runs each migration in its own transaction and moves `user_version` in it.
 * @throws DblockError EMIGRATION naming the migration, the line and the statement
 */
export function assertNoTransactionControl(name: string, sql: string): void {
  for (const statement of splitStatements(sql)) {
    const why = transactionControl(statement);
    if (why === undefined) continue;
    throw new DblockError(
      'EMIGRATION',
      `migration ${name} line ${lineOf(sql, statement.start)}: ${why}: dblock runs each migration in its own transaction, so remove it (nothing was applied)`,
    );
  }
}
