import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';

/** The flags of `dblock stress`, as commander gives them (strings: validated by stress-run). */
export interface StressFlags {
  db?: string;
  workers?: string;
  ops?: string;
  mode?: string;
  txnRows?: string;
  kill?: string;
  seed?: string;
  keep?: boolean;
  backend?: string;
  lockDir?: string;
  stale?: string;
}

/** Register `dblock stress` (the run itself is loaded lazily from stress-run.ts). */
export function registerStress(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('stress')
    .description('run N worker processes writing one database at once, then verify it (CI)')
    .argument('[command...]', 'run this command per operation under dblock exec, instead of the built-in workload (after --)')
    .passThroughOptions()
    .option('--db <path>', 'the database (default: a fresh temporary one, removed afterwards)')
    .option('-n, --workers <n>', 'worker processes (default 8)')
    .option('-m, --ops <n>', 'transactions (or commands) per worker (default 40)')
    .option('--mode <mode>', 'serialized (dblock lock), wal (SQLite locking + retries) or unsafe (neither: expect errors)')
    .option('--txn-rows <k>', 'rows per transaction (default 1)')
    .option('--kill <k>', 'SIGKILL K workers inside a transaction, then restart them')
    .option('--seed <s>', 'seed of the kill schedule, to replay a run (default: random, reported)')
    .option('--keep', 'keep the temporary database and print its path')
    .option('--backend <name>', 'lock backend: flock (default) or mkdir (portable: NFS, SMB)')
    .option('--lock-dir <dir>', 'keep sidecars in DIR (for databases in read-only directories)')
    .option('--stale <duration>', "mkdir backend: how soon a killed worker's lock is taken over (min 2s; default 3s)")
    .addHelpText(
      'after',
      examples([
        'dblock stress                               # 8 workers × 40 transactions, then verify',
        'dblock stress --workers 16 --ops 1000 --kill 3 --json',
        'dblock stress --mode unsafe                 # what happens without dblock',
        'dblock stress --backend mkdir --lock-dir /tmp/locks',
        'dblock stress --db app.db -- ./worker.sh    # each op: dblock exec --db app.db -- ./worker.sh',
      ]),
    );
  return bindAction<StressFlags>(command, io, state, async (ctx, flags, args) => {
    const { runStressCommand } = await import('./stress-run.js');
    return runStressCommand(ctx, flags, args);
  });
}
