import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import { addOptions } from '../option-spec.js';
import type { CliIo } from '../output.js';
import { addTargetOptions } from '../target-options.js';
import { EXEC_OPTIONS, type ExecFlags } from './exec-options.js';

export type { ExecFlags };

export function registerExec(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('exec')
    .description('run a command while holding the lock and/or its declared write intents; exit with its status')
    .argument('<command...>', 'the command to run (put it after --)')
    .passThroughOptions();
  addOptions(command, EXEC_OPTIONS);
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
