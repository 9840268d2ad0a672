import { runCommandStress } from './command-stress.js';
import { logHistogram } from './histogram.js';
import { type ResolvedStressOptions, resolveStressOptions, type StressOptions, throwIfStopped } from './options.js';
import { round, type StressReport, summarize, WAIT_SHAPE_BINS } from './report.js';
import { prepareStressDatabase, resolveStressTarget } from './setup.js';
import { checkIntegrity, checkRows, probeLocks } from './verify.js';
import { runWorkload } from './workload.js';

/**
 * The CI stress run: `workers` processes each commit `ops` transactions of `txnRows` rows
 * to one database in the chosen mode (or each run the user's command under `dblock exec`), then
 * verify: quick_check, integrity_check, journal mode, exactly the committed rows, no stuck lock.
 * Failures are in the report (`ok: false`, `problems`), not thrown.
 * @throws DblockError EUSAGE for bad options; EBADTARGET/ENOINPUT for a `db` in a missing directory; ENOTDB
 * @example
 * const report = await runStress({ workers: 4, ops: 100, kill: 1 });
 * if (!report.ok) console.error(report.problems.join('\n'));
 */
export async function runStress(options: StressOptions = {}): Promise<StressReport> {
  const opts = resolveStressOptions(options);
  throwIfStopped(opts.signal);
  const target = resolveStressTarget(opts.db);
  const kept = !target.temporary || opts.keep;
  opts.onTarget(target.db);
  try {
    if (opts.command !== undefined) return await runCommandStress(opts, opts.command, target.db, kept);
    return await runBuiltIn(opts, target.db, kept);
  } finally {
    if (!kept) target.remove();
  }
}

async function runBuiltIn(opts: ResolvedStressOptions, db: string, kept: boolean): Promise<StressReport> {
  const journalMode = await prepareStressDatabase(db, opts.lock);
  const { tally: run, durationMs, timeline } = await runWorkload(opts, db, journalMode);
  throwIfStopped(opts.signal); // no verdict on a run cut short
  opts.onTimeline(timeline);
  const lockProblems = await probeLocks(db, journalMode, ['lock', 'init'], opts.lock);
  const rows = await checkRows(db, run.committed, opts.txnRows, opts.lock);
  const integrity = await checkIntegrity(db, journalMode);
  const committedTxns = run.committed.reduce((sum, seqs) => sum + seqs.size, 0);
  const rowsExpected = opts.workers * opts.ops * opts.txnRows;
  const rowsCommitted = committedTxns * opts.txnRows;
  const lost =
    rowsExpected === rowsCommitted ? [] : [`${rowsExpected - rowsCommitted} of ${rowsExpected} rows were never committed`];
  // Fewer only when no transaction of a doomed worker could begin after its planned kill (unsafe mode).
  const unkilled = run.kills === opts.kill ? [] : [`${opts.kill} kills planned, ${run.kills} made`];
  const problems = [...lost, ...unkilled, ...run.problems(), ...lockProblems, ...rows.problems, ...integrity.problems];
  const seconds = durationMs / 1000;
  return {
    ok: problems.length === 0,
    mode: opts.mode,
    workers: opts.workers,
    ops: opts.ops,
    txnRows: opts.txnRows,
    seed: opts.seed,
    db,
    kept,
    command: null,
    durationMs: round(durationMs),
    rowsPerSec: round(rowsCommitted / seconds),
    opsPerSec: round(committedTxns / seconds),
    txnLatencyMs: summarize(run.latenciesMs),
    lockWaitMs: summarize(run.waitsMs),
    lockWaitHistogram: logHistogram(run.waitsMs, WAIT_SHAPE_BINS),
    busyErrors: run.busyErrors,
    retries: run.retries,
    failedOps: run.failedOps,
    kills: run.kills,
    quickCheck: integrity.quickCheck,
    integrityCheck: integrity.integrityCheck,
    journalMode: integrity.journalMode,
    rowsExpected,
    rowsCommitted,
    rowsFound: rows.rowsFound,
    locks: lockProblems.length === 0 ? 'free' : 'stuck',
    problems,
  };
}
