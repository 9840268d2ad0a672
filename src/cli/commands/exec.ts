import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addTargetOptions, type TargetFlags } from '../target-options.js';
import type { IntentFlags } from './exec-intent.js';

export interface ExecFlags extends TargetFlags, IntentFlags {
  shared?: boolean;
  timeout?: string;
  close?: boolean;
  conflictExitCode?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerExec(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('exec')
    .description('run a command while holding the lock and/or its declared write intents; exit with its status')
    .argument('<command...>', 'the command to run (put it after --)')
    .passThroughOptions()
    .option('-s, --shared', 'take a shared lock (readers), not an exclusive one')
    .option('-w, --timeout <duration>', 'how long to wait: 5s, 250ms, 2m, 0 = try once, inf (default 30s or DBLOCK_TIMEOUT)')
    .option('--close', 'do not pass the lock to the command (it is released only when dblock exits)')
    .option(
      '-E, --conflict-exit-code <n>',
      'exit code when the lock is busy, the wait times out or the intent is refused (default 75)',
    )
    .option('--writes <path>', 'declare a path CMD will write (repeatable; a directory covers everything below it)', collect)
    .option('--policy <policy>', 'when another task declared an overlapping path: refuse (default), queue or warn')
    .option('--ttl <duration>', 'the intent lapses this long after admission even if CMD still runs (default: none)')
    .option('--task-id <id>', 'name of this task in the registry (default: generated)')
    .option('--registry <path>', 'the write-intent registry database (default $DBLOCK_HOME/intents.db)');
  addTargetOptions(command).addHelpText(
    'after',
    examples([
      'dblock exec --db app.db -- sqlite3 app.db "UPDATE counters SET n = n + 1"',
      'dblock exec --db app.db --timeout 0 -- ./migrate.sh      # skip if someone holds it',
      'dblock exec --lock /var/lock/nightly.lock -E 0 -- ./nightly.sh   # cron: never overlap',
      'dblock exec --db app.db --shared -- ./backup.sh',
      'dblock exec --writes data/ --writes report.json -- ./build.sh   # refused (75) if another task writes them',
      'dblock exec --writes state.json --policy queue --timeout 10m -- ./agent.sh',
    ]),
  );
  return bindAction<ExecFlags>(command, io, state, async (ctx, flags, args) => {
    const { runExec } = await import('./exec-run.js');
    return runExec(ctx, flags, args);
  });
}
