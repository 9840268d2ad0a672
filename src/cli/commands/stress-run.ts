import { DblockError, EXIT } from '../../errors.js';
import { parseCount } from '../../options.js';
import type { StressMode } from '../../stress/options.js';
import { formatStressReport } from '../../stress/report-text.js';
import { runStress } from '../../stress/run-stress.js';
import type { CommandContext } from '../command-context.js';
import { createProgress } from '../stress-progress.js';
import type { StressFlags } from './stress.js';

/** `dblock stress`: run, print the report (table or JSON); 0 when everything verified, else 65. */
export async function runStressCommand(ctx: CommandContext, flags: StressFlags, args: string[]): Promise<number> {
  const count = (value: string | undefined, name: string, min = 0): number | undefined =>
    value === undefined ? undefined : parseCount(value, name, min);
  if (flags.db === '') throw new DblockError('EUSAGE', 'Expected `db` to be a path, got an empty string');
  const progress = await createProgress(ctx.io, ctx.out.flags.quiet === true);
  let report: Awaited<ReturnType<typeof runStress>>;
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
      command: args,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
  }
  ctx.out.result(report, formatStressReport(report));
  return report.ok ? EXIT.OK : EXIT.DATAERR;
}
