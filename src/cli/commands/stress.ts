import { constants } from 'node:os';
import type { BackendName } from '../../backend/types.js';
import { DblockError, EXIT } from '../../errors.js';
import { parseCount, parseStale } from '../../options.js';
import { checkReportPath } from '../../report/report-file.js';
import type { StressRun } from '../../report/stress-html.js';
import { resolveStressOptions, type StressOptions } from '../../stress/options.js';
import type { StressReport } from '../../stress/report.js';
import { formatStressReport } from '../../stress/report-text.js';
import { runStress } from '../../stress/run-stress.js';
import type { StressTimeline } from '../../stress/timeline.js';
import type { CommandContext } from '../command-spec.js';
import { createProgress } from '../stress-progress.js';

/** The flags of `dblock stress`, as commander gives them (strings: validated here and by the library). */
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
  url?: string;
  lockDir?: string;
  stale?: string;
  report?: string;
  compare?: string;
}

import { selectStressModes } from './stress-modes.js';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `dblock stress`: run (once per mode with `--compare`), print the report (table or JSON) and write the
 * HTML report if asked; 0 when everything verified (an `unsafe` run among others is there to show what
 * fails, so it does not count), else 65.
 */
export async function run(ctx: CommandContext, flags: StressFlags, args: string[]): Promise<number> {
  const count = (value: string | undefined, name: string, min = 0): number | undefined =>
    value === undefined ? undefined : parseCount(value, name, min);
  if (flags.db === '') throw new DblockError('EUSAGE', 'Expected `db` to be a path, got an empty string');
  const modes = selectStressModes(flags.mode, flags.compare);
  // Checked before a run that may take minutes, not after it.
  const reportPath = flags.report === undefined ? undefined : checkReportPath(flags.report);
  // Every mode of a comparison gets the same kill schedule.
  const seed = count(flags.seed, 'seed') ?? (modes.length > 1 ? Math.floor(Math.random() * 2 ** 31) : undefined);
  const options: StressOptions = {
    db: flags.db,
    workers: count(flags.workers, 'workers', 1),
    ops: count(flags.ops, 'ops', 1),
    txnRows: count(flags.txnRows, 'txn-rows', 1),
    kill: count(flags.kill, 'kill'),
    seed,
    keep: flags.keep === true,
    backend: flags.backend as BackendName | undefined,
    lockDir: flags.lockDir,
    stale: flags.stale === undefined ? undefined : parseStale(flags.stale, 'seconds'),
    url: flags.url,
    command: args,
  };
  // Every mode's options are checked before the first run starts (`--compare serialized,wal -- CMD` is refused at once).
  for (const mode of modes) resolveStressOptions({ ...options, mode });
  const progress = await createProgress(ctx.io, ctx.out.flags.quiet === true);
  // Ctrl-C, a CI timeout, a closed terminal: stop the workers and remove the temporary database.
  const stopper = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    // The note below, or the end of this process, must not land on the bar's line or leave the cursor hidden.
    progress.stop();
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
  const runs: StressRun[] = [];
  let written: string | undefined;
  try {
    for (const mode of modes) {
      let timeline: StressTimeline = { lanes: 0, durationMs: 0, ops: [] };
      const report = await runStress({
        ...options,
        mode,
        onProgress: (p) => progress.update(p),
        onTarget: (db) => {
          written = db;
        },
        onStart: ({ db, workers }) =>
          ctx.out.verbose(`stress: ${workers} workers writing ${db}${mode === undefined ? '' : ` (${mode})`}`),
        onTimeline: (t) => {
          timeline = t;
        },
        signal: stopper.signal,
      });
      runs.push({ report, timeline });
    }
  } catch (err) {
    if (!stopper.signal.aborted) throw err;
  } finally {
    progress.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
  if (stopper.signal.aborted || runs.length < modes.length) {
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
  const reports = runs.map((run) => run.report);
  const [only] = reports;
  if (only !== undefined && reports.length === 1) ctx.out.result(only, formatStressReport(only));
  else ctx.out.result({ runs: reports }, reports.map(formatStressReport).join('\n'));
  if (reportPath !== undefined) {
    const { writeStressReport } = await import('../../report/stress-report-file.js');
    await writeStressReport(reportPath, runs);
    ctx.out.note(`report written to ${reportPath}`);
  }
  return verified(reports) ? EXIT.OK : EXIT.DATAERR;
}

/** Every run verified; in a comparison, an `unsafe` run is there to show failures and is not judged. */
function verified(reports: readonly StressReport[]): boolean {
  const judged = reports.length > 1 ? reports.filter((r) => r.mode !== 'unsafe') : reports;
  return judged.every((r) => r.ok);
}
