import { constants } from 'node:os';
import type { BackendName } from '../../backend/types.js';
import { DblockError, EXIT } from '../../errors.js';
import { parseCount } from '../../options.js';
import type { StressMode } from '../../stress/options.js';
import { formatStressReport } from '../../stress/report-text.js';
import { runStress } from '../../stress/run-stress.js';
import type { CommandContext } from '../command-context.js';
import { createProgress } from '../stress-progress.js';
import type { StressFlags } from './stress.js';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** `dblock stress`: run, print the report (table or JSON); 0 when everything verified, else 65. */
export async function runStressCommand(ctx: CommandContext, flags: StressFlags, args: string[]): Promise<number> {
  const count = (value: string | undefined, name: string, min = 0): number | undefined =>
    value === undefined ? undefined : parseCount(value, name, min);
  if (flags.db === '') throw new DblockError('EUSAGE', 'Expected `db` to be a path, got an empty string');
  const progress = await createProgress(ctx.io, ctx.out.flags.quiet === true);
  // Ctrl-C, a CI timeout, a closed terminal: stop the workers and remove the temporary database.
  const stopper = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopper.signal.aborted) {
      ctx.out.note(`${signal}: stopping the workers (send it again to quit at once)`);
      stopper.abort(signal);
      return;
    }
    // A second signal: the user insists. Stop listening and let it end this process at once.
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    process.kill(process.pid, signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let report: Awaited<ReturnType<typeof runStress>> | undefined;
  let written: string | undefined;
  try {
    report = await runStress({
      db: flags.db,
      workers: count(flags.workers, 'workers', 1),
      ops: count(flags.ops, 'ops', 1),
      mode: flags.mode as StressMode | undefined,
      txnRows: count(flags.txnRows, 'txn-rows', 1),
      kill: count(flags.kill, 'kill'),
      seed: count(flags.seed, 'seed'),
      keep: flags.keep === true,
      backend: flags.backend as BackendName | undefined,
      lockDir: flags.lockDir,
      stale: flags.stale,
      command: args,
      onProgress: (p) => progress.update(p),
      onTarget: (db) => {
        written = db;
      },
      onStart: ({ db, workers }) => ctx.out.verbose(`stress: ${workers} workers writing ${db}`),
      signal: stopper.signal,
    });
  } catch (err) {
    if (!stopper.signal.aborted) throw err;
  } finally {
    progress.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
  if (stopper.signal.aborted || report === undefined) {
    const signal = (stopper.signal.reason ?? 'SIGTERM') as NodeJS.Signals;
    const temporary = flags.db === undefined;
    const where = !temporary
      ? ''
      : flags.keep === true
        ? `; kept ${written ?? 'the database'}`
        : '; the temporary database was removed';
    ctx.out.note(`stress run stopped by ${signal}${where}`);
    return 128 + (constants.signals[signal] ?? 0);
  }
  ctx.out.result(report, formatStressReport(report));
  return report.ok ? EXIT.OK : EXIT.DATAERR;
}
