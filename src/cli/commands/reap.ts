import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import type { RegistryFlags } from './intents.js';

export function registerReap(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('reap')
    .description('remove write intents whose task died or whose TTL passed, and say which')
    .option(
      '--registry <path|url>',
      'the write-intent registry: a SQLite file (default $DBLOCK_HOME/intents.db) or postgres://… (with --scope)',
    )
    .option('--scope <name>', 'with a postgres registry: the shared root the paths are relative to (e.g. the repository URL)')
    .addHelpText('after', examples(['dblock reap', 'dblock reap --json']));
  return bindAction<RegistryFlags>(command, io, state, async (ctx, flags) => {
    const { runReap } = await import('./reap-run.js');
    return runReap(ctx, flags);
  });
}
