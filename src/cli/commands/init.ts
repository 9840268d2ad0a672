import type { BackendName } from '../../backend/types.js';
import { JOURNAL_MODES } from '../../defaults.js';
import { DblockError } from '../../errors.js';
import { parseChoice, parseCliDuration, resolveTimeoutMs } from '../../options.js';
import { canonicalizeTarget } from '../../path/canonicalize.js';
import { assertSqliteHeader, readHeader } from '../../sqlite/header.js';
import { holdsWriteLock } from '../../sqlite/initialise.js';
import { loadMigrations, readSql } from '../../sqlite/migrations.js';
import { openDatabase } from '../../sqlite/open-database.js';
import type { CommandContext } from '../command-spec.js';
import { withLockForCommand } from '../lock-wait.js';
import { type DatabaseFlags, requireDatabase } from '../target-options.js';

/** The flags of `dblock init`. */
export interface InitFlags extends DatabaseFlags {
  schema?: string;
  migrations?: string;
  journal?: string;
  timeout?: string;
  force?: boolean;
}

/** `dblock init`: open the database through the library's initialisation, report, close. */
export async function run(ctx: CommandContext, flags: InitFlags): Promise<number> {
  const path = requireDatabase(flags, 'init');
  if (flags.schema !== undefined && flags.migrations !== undefined) {
    throw new DblockError('EUSAGE', 'give either --schema or --migrations, not both');
  }
  const journal = flags.journal === undefined ? undefined : parseChoice('journal', flags.journal.toLowerCase(), JOURNAL_MODES);
  const migrations = flags.schema !== undefined ? [readSql(flags.schema)] : flags.migrations;
  const canonical = canonicalizeTarget(path);
  // As openDatabase does: refuse a file that is not SQLite, or migrations that control transactions,
  // before taking a lock (which creates sidecars and writes a holder record).
  assertSqliteHeader(canonical, readHeader(canonical));
  if (migrations !== undefined) loadMigrations(migrations);
  const backend = flags.backend as BackendName | undefined;
  const timeout = parseCliDuration(flags.timeout, 'timeout');
  const deadline = performance.now() + resolveTimeoutMs(timeout);
  // The init lock is taken here to report the wait (-v, the waiting line); openDatabase's passes
  // through it. Under a held `.lock` (dblock exec --db), that one, as openDatabase would: lock order.
  const sidecar = holdsWriteLock(canonical, { lockDir: flags.lockDir }) ? 'lock' : 'init';
  const lockOptions = { sidecar, timeout, lockDir: flags.lockDir, backend } as const;
  const db = await withLockForCommand(ctx, canonical, lockOptions, () =>
    openDatabase(canonical, {
      journalMode: journal,
      migrations,
      timeout: Math.max(0, deadline - performance.now()),
      lockDir: flags.lockDir,
      backend,
      force: flags.force === true,
    }),
  );
  await db.close();
  const { created, journalMode, userVersion, applied, keptWal } = db.opened;
  if (keptWal) ctx.out.warn(`${db.path} stays in WAL mode: dblock never downgrades a live database from WAL`);
  const did = applied.length > 0 ? `applied ${applied.join(', ')}` : 'schema up to date';
  ctx.out.result(
    { db: db.path, created, journalMode, userVersion, applied, keptWal },
    `${created ? 'created' : 'initialised'} ${db.path}: journal ${journalMode}, user_version ${userVersion} (${did})`,
  );
  return 0;
}
