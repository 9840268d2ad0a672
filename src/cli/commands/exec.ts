import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';
import { addTargetOptions, type TargetFlags } from '../target-options.js';

export interface ExecFlags extends TargetFlags {
  shared?: boolean;
  timeout?: string;
  close?: boolean;
  conflictExitCode?: string;
}

export function registerExec(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('exec')
    .description('run a command while holding the lock; exit with its status')
    .argument('<command...>', 'the command to run (put it after --)')
    .passThroughOptions()
    .option('-s, --shared', 'take a shared lock (readers), not an exclusive one')
    .option('-w, --timeout <duration>', 'how long to wait: 5s, 250ms, 2m, 0 = try once, inf (default 30s or DBLOCK_TIMEOUT)')
    .option('--close', 'do not pass the lock to the command (it is released only when dblock exits)')
    .option('-E, --conflict-exit-code <n>', 'exit code when the lock is busy or the wait times out (default 75)');
  addTargetOptions(command).addHelpText(
    'after',
    examples([
      'dblock exec --db app.db -- sqlite3 app.db "UPDATE counters SET n = n + 1"',
      'dblock exec --db app.db --timeout 0 -- ./migrate.sh      # skip if someone holds it',
      'dblock exec --lock /var/lock/nightly.lock -E 0 -- ./nightly.sh   # cron: never overlap',
      'dblock exec --db app.db --shared -- ./backup.sh',
    ]),
  );
  return bindAction<ExecFlags>(command, io, state, async (ctx, flags, args) => {
    const { runExec } = await import('./exec-run.js');
    return runExec(ctx, flags, args);
  });
}
