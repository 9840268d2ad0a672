import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addDatabaseOptions, type DatabaseFlags } from '../target-options.js';

export interface CheckFlags extends DatabaseFlags {
  full?: boolean;
  timeout?: string;
}

export function registerCheck(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('check')
    .description('inspect a database read-only: header, journal, sizes, quick_check, invariant, locks (exit 65 on failure)')
    .option('--full', 'run integrity_check instead of quick_check (slower, checks indexes too)')
    .option(
      '-w, --timeout <duration>',
      'how long to wait while another connection keeps the database locked (default 30s or DBLOCK_TIMEOUT; exit 75 then)',
    );
  addDatabaseOptions(command).addHelpText(
    'after',
    examples(['dblock check --db app.db', 'dblock check --db app.db --full --json', 'dblock check --db app.db -q || alert']),
  );
  return bindAction<CheckFlags>(command, io, state, async (ctx, flags) => {
    const { runCheck } = await import('./check-run.js');
    return runCheck(ctx, flags);
  });
}
