import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import { addOptions } from '../option-spec.js';
import type { CliIo } from '../output.js';
import { addTargetOptions } from '../target-options.js';
import { EXEC_OPTIONS, type ExecFlags } from './exec-options.js';

export type { ExecFlags };

/** What a flock(1) user needs to know; the README carries the same table. */
const FROM_FLOCK = `
Coming from flock(1):
  the same      flock FILE CMD…, FILE -c "CMD", -s -x -n -o -w SECS (fractions too) -E N; the lock
                file is created if missing, and dblock and flock(1) exclude each other on it
  waiting       30s by default, not forever (-w inf or DBLOCK_TIMEOUT=inf waits forever)
  on conflict   exit 75 (EX_TEMPFAIL), not 1, so a busy lock is not mistaken for a failed command
                (-E 1 gives flock's code); one line on stderr, nothing with -q -E N
  -c STRING     runs sh -c STRING (flock uses $SHELL)
  descriptors   every inherited one reaches CMD unchanged; the lock is on the lowest free one
                >= 3, named in DBLOCK_HELD
  not here      flock FD (a descriptor number), -u, -F: use dblock exec … -- CMD instead
`;

export function registerExec(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('exec')
    .description('run a command while holding the lock and/or its declared write intents; exit with its status')
    .usage('[options] [FILE] [--] CMD [ARGS...]')
    .argument('<command...>', 'the command to run; without --db, --lock or --writes, FILE CMD… locks FILE (like flock FILE CMD…)')
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
      'dblock exec -n /tmp/job.lock -c "./a.sh && ./b.sh"    # flock\'s own spelling',
    ]) + FROM_FLOCK,
  );
  return bindAction<ExecFlags>(command, io, state, async (ctx, flags, args) => {
    const { runExec } = await import('./exec-run.js');
    return runExec(ctx, flags, args);
  });
}
