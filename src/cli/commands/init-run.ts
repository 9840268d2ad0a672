import type { BackendName } from '../../backend/types.js';
import { DblockError } from '../../errors.js';
import { readSql } from '../../sqlite/migrations.js';
import { openDatabase } from '../../sqlite/open-database.js';
import type { JournalMode } from '../../sqlite/options.js';
import type { CommandContext } from '../command-context.js';
import { requireDatabase } from '../target-options.js';
import type { InitFlags } from './init.js';

const JOURNALS = ['wal', 'delete', 'truncate', 'persist'];

/** `dblock init`: open the database through the library's initialisation, report, close. */
export async function runInit(ctx: CommandContext, flags: InitFlags): Promise<number> {
  const path = requireDatabase(flags, 'init');
  if (flags.schema !== undefined && flags.migrations !== undefined) {
    throw new DblockError('EUSAGE', 'give either --schema or --migrations, not both');
  }
  const journal = flags.journal?.toLowerCase();
  if (journal !== undefined && !JOURNALS.includes(journal)) {
    throw new DblockError('EUSAGE', `Expected \`--journal\` to be one of ${JOURNALS.join(', ')}, got \`${flags.journal}\``);
  }
  const migrations = flags.schema !== undefined ? [readSql(flags.schema)] : flags.migrations;
  const db = await openDatabase(path, {
    journalMode: journal as JournalMode | undefined,
    migrations,
    timeout: flags.timeout,
    lockDir: flags.lockDir,
    backend: flags.backend as BackendName | undefined,
    force: flags.force === true,
  });
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
