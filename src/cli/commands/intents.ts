import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';

/** Flags of the registry commands (`intents`, `reap`, `conflicts`). */
export interface RegistryFlags {
  registry?: string;
}

export function registerIntents(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('intents')
    .description('list in-flight write intents: paths, pid, host, command, age, TTL left')
    .option('--registry <path>', 'the write-intent registry database (default $DBLOCK_HOME/intents.db)')
    .addHelpText('after', examples(['dblock intents', 'dblock intents --json']));
  return bindAction<RegistryFlags>(command, io, state, async (ctx, flags) => {
    const { runIntents } = await import('./intents-run.js');
    return runIntents(ctx, flags);
  });
}
