import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addTargetOptions } from '../target-options.js';
import type { StatusFlags } from './status-run.js';

export function registerStatus(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('status')
    .description('who holds the lock now (verified by a non-blocking try, not by the record), and write intents touching it')
    .option('--registry <path>', 'the write-intent registry database (default $DBLOCK_HOME/intents.db)')
    .option('--check', 'exit 0 when the lock is free, 1 when anyone holds it (shared or exclusive)');
  addTargetOptions(command).addHelpText(
    'after',
    examples([
      'dblock status --db app.db',
      'dblock status --lock /var/lock/nightly.lock --json',
      'dblock status --lock /var/lock/nightly.lock --check -q || echo "nightly is running"',
    ]),
  );
  return bindAction<StatusFlags>(command, io, state, async (ctx, flags) => {
    const { runStatus } = await import('./status-run.js');
    return runStatus(ctx, flags);
  });
}
