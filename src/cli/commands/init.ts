import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addDatabaseOptions, type DatabaseFlags } from '../target-options.js';

export interface InitFlags extends DatabaseFlags {
  schema?: string;
  migrations?: string;
  journal?: string;
  timeout?: string;
  force?: boolean;
}

export function registerInit(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('init')
    .description('create or open a database under the init lock: check the header, set the journal mode, migrate')
    .option('--schema <file.sql>', 'schema to apply once to a new database (as migration 1)')
    .option('--migrations <dir>', 'directory of numbered .sql files (001_init.sql…), tracked by PRAGMA user_version')
    .option('--journal <mode>', 'journal mode: wal or delete (never downgrades a WAL database)', 'wal')
    .option(
      '-w, --timeout <duration>',
      "how long to wait for dblock's locks and SQLite's own, held by another connection (default 30s or DBLOCK_TIMEOUT; exit 75 then)",
    )
    .option('--force', 'use WAL even on a network filesystem');
  addDatabaseOptions(command).addHelpText(
    'after',
    examples([
      'dblock init --db app.db --schema schema.sql',
      'dblock init --db app.db --migrations ./migrations     # run from every worker: each file applies once',
      'dblock init --db app.db --journal delete --json',
    ]),
  );
  return bindAction<InitFlags>(command, io, state, async (ctx, flags) => {
    const { runInit } = await import('./init-run.js');
    return runInit(ctx, flags);
  });
}
