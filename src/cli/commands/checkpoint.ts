import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addDatabaseOptions, type DatabaseFlags } from '../target-options.js';

export interface CheckpointFlags extends DatabaseFlags {
  mode?: string;
  timeout?: string;
}

export function registerCheckpoint(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('checkpoint')
    .description('copy the WAL into the database file under the write lock')
    .option('--mode <mode>', 'passive (never waits for readers) or truncate (also empties -wal)', 'passive')
    .option(
      '-w, --timeout <duration>',
      "how long to wait for the write lock, dblock's and SQLite's (default 30s or DBLOCK_TIMEOUT; exit 75 then)",
    );
  addDatabaseOptions(command).addHelpText(
    'after',
    examples([
      'dblock checkpoint --db app.db',
      'dblock checkpoint --db app.db --mode truncate --json   # cron: keep -wal bounded',
    ]),
  );
  return bindAction<CheckpointFlags>(command, io, state, async (ctx, flags) => {
    const { runCheckpoint } = await import('./checkpoint-run.js');
    return runCheckpoint(ctx, flags);
  });
}
