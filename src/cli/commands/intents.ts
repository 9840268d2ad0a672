import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';

/** Flags of the registry commands (`intents`, `reap`, `conflicts`). */
export interface RegistryFlags {
  registry?: string;
  scope?: string;
}

export function registerIntents(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('intents')
    .description('list in-flight write intents: paths, pid, host, command, age, TTL left')
    .option(
      '--registry <path|url>',
      'the write-intent registry: a SQLite file (default $DBLOCK_HOME/intents.db) or postgres://… (with --scope)',
    )
    .option('--scope <name>', 'with a postgres registry: the shared root the paths are relative to (e.g. the repository URL)')
    .addHelpText('after', examples(['dblock intents', 'dblock intents --json']));
  return bindAction<RegistryFlags>(command, io, state, async (ctx, flags) => {
    const { runIntents } = await import('./intents-run.js');
    return runIntents(ctx, flags);
  });
}
