import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import type { RegistryFlags } from './intents.js';

export interface ConflictsFlags extends RegistryFlags {
  since?: string;
}

export function registerConflicts(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('conflicts')
    .description('the write-intent conflict log: time, task, conflicting task, path, policy, outcome')
    .option('--since <when>', 'only conflicts in the last D (1h, 30m) or since a date (2025-06-01T12:00)')
    .option(
      '--registry <path|url>',
      'the write-intent registry: a SQLite file (default $DBLOCK_HOME/intents.db) or postgres://… (with --scope)',
    )
    .option('--scope <name>', 'with a postgres registry: the shared root the paths are relative to (e.g. the repository URL)')
    .addHelpText('after', examples(['dblock conflicts', 'dblock conflicts --since 1h --json']));
  return bindAction<ConflictsFlags>(command, io, state, async (ctx, flags) => {
    const { runConflicts } = await import('./conflicts-run.js');
    return runConflicts(ctx, flags);
  });
}
