import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DblockError, fromSystemError, isDblockError } from '../errors.js';
import type { JournalMode } from '../sqlite/options.js';
import { findShortage } from '../util/descriptors.js';
import { runOp } from './command-op.js';
import { logHistogram } from './histogram.js';
import { type ResolvedStressOptions, throwIfStopped } from './options.js';
import { dblockBin } from './package-paths.js';
import { toSharedClock } from './protocol.js';
import { round, type StressReport, summarize, WAIT_SHAPE_BINS } from './report.js';
import { TimelineRecorder } from './timeline.js';
import { checkIntegrity, probeLocks } from './verify.js';

const MAX_PROBLEMS = 10;
/** After a stop, how long a command may take to end on SIGTERM before its `dblock exec` is SIGKILLed. */
const STOP_GRACE_MS = 5000;

/**
 * `dblock stress -- CMD`: `workers` lanes each run CMD `ops` times in a row, each under
 * `dblock exec --db DB` (bare with mode `unsafe`, to show the race dblock prevents), with
 * DBLOCK_WORKER, DBLOCK_OP (both from 0) and DBLOCK_DB set. Every exit status must be 0; a SQLite
 * target must also pass the database checks.
 */
export async function runCommandStress(
  opts: ResolvedStressOptions,
  command: readonly string[],
  db: string,
  kept: boolean,
): Promise<StressReport> {
  const { backend, lockDir, stale, url } = opts.lock;
  const lockFlags = [
    ...(backend === undefined ? [] : ['--backend', backend]),
    ...(url === undefined ? [] : ['--url', url]),
    ...(lockDir === undefined ? [] : ['--lock-dir', lockDir]),
    ...(stale === undefined ? [] : ['--stale', `${stale}ms`]),
  ];
  const prefix = opts.mode === 'unsafe' ? [] : [process.execPath, dblockBin(), 'exec', '--db', db, ...lockFlags, '--'];
  // dblock exec reports each lock wait as JSON in a file of its own (DBLOCK_WAIT_REPORT), not in -v's wording.
  const reports = opts.mode === 'unsafe' ? undefined : mkdtempSync(join(tmpdir(), 'dblock-stress-waits-'));
  const total = opts.workers * opts.ops;
  const latencies: number[] = [];
  const waits: number[] = [];
  const problems: string[] = [];
  let done = 0;
  let failed = 0;
  let busy = 0;
  const timeline = new TimelineRecorder(opts.workers);
  // This process out of descriptors (it could not spawn): every lane stops starting ops, the run fails.
  let shortage: DblockError | undefined;
  const lane = async (worker: number): Promise<void> => {
    for (let op = 0; op < opts.ops && !opts.signal?.aborted && shortage === undefined; op++) {
      const env = { DBLOCK_WORKER: String(worker), DBLOCK_OP: String(op), DBLOCK_DB: db };
      const report = reports === undefined ? undefined : join(reports, `${worker}-${op}.jsonl`);
      const result = await runOp([...prefix, ...command], env, running, report);
      if (opts.signal?.aborted) return;
      if (findShortage(result.error) !== undefined) {
        shortage ??= fromSystemError(result.error, `starting operation ${op} of stress worker ${worker}`);
        return;
      }
      done += 1;
      timeline.command(worker, op, result.startedAt, result.latencyMs, result.status === 0);
      if (result.status === 0) {
        latencies.push(result.latencyMs);
        if (result.waitMs !== undefined) waits.push(result.waitMs);
      } else {
        failed += 1;
        // dblock exec's own lock timeout: the lock stayed busy.
        if (result.status === 75 && opts.mode !== 'unsafe') busy += 1;
        const why = result.stderr.split('\n').pop() ?? '';
        if (problems.length < MAX_PROBLEMS)
          problems.push(`worker ${worker} op ${op} exited with ${result.status}${why === '' ? '' : `: ${why}`}`);
      }
      opts.onProgress({ done, total, failed, kills: 0 });
    }
  };
  // A stop: SIGTERM to every running `dblock exec` (it forwards it to the command), SIGKILL after a grace period.
  const running = new Set<ChildProcess>();
  let grace: NodeJS.Timeout | undefined;
  const onStop = (): void => {
    for (const child of running) child.kill('SIGTERM');
    grace = setTimeout(() => {
      for (const child of running) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
  };
  opts.signal?.addEventListener('abort', onStop, { once: true });
  const started = performance.now();
  timeline.start(toSharedClock(started));
  try {
    opts.onStart({ db, workers: opts.workers });
    await Promise.all(Array.from({ length: opts.workers }, (_, worker) => lane(worker)));
  } finally {
    opts.signal?.removeEventListener('abort', onStop);
    clearTimeout(grace);
    if (reports !== undefined) rmSync(reports, { recursive: true, force: true });
  }
  throwIfStopped(opts.signal);
  if (shortage !== undefined) throw shortage;
  const durationMs = performance.now() - started;
  opts.onTimeline(timeline.finish(durationMs));
  if (failed > problems.length) problems.push(`… ${failed} of ${total} commands failed in all`);
  const integrity = await checkIntegrity(db, null).catch((err: unknown) => {
    // The command never created the target: nothing to check but the locks.
    if (isDblockError(err) && err.code === 'ENOINPUT')
      return { quickCheck: null, integrityCheck: null, journalMode: null, problems: [] };
    throw err;
  });
  // Only `.lock`: `dblock exec` never takes `.init.lock`, so probing it would just leave a new file beside the target.
  const lockProblems = await probeLocks(db, integrity.journalMode as JournalMode | null, ['lock'], opts.lock);
  problems.push(...lockProblems, ...integrity.problems);
  return {
    ok: problems.length === 0,
    mode: opts.mode,
    workers: opts.workers,
    ops: opts.ops,
    txnRows: 1,
    seed: opts.seed,
    db,
    kept,
    command: [...command],
    durationMs: round(durationMs),
    rowsPerSec: null,
    opsPerSec: round((total - failed) / (durationMs / 1000)),
    txnLatencyMs: summarize(latencies),
    lockWaitMs: summarize(waits),
    lockWaitHistogram: logHistogram(waits, WAIT_SHAPE_BINS),
    busyErrors: busy,
    retries: 0,
    failedOps: failed,
    kills: 0,
    quickCheck: integrity.quickCheck,
    integrityCheck: integrity.integrityCheck,
    journalMode: integrity.journalMode,
    rowsExpected: null,
    rowsCommitted: null,
    rowsFound: null,
    locks: lockProblems.length === 0 ? 'free' : 'stuck',
    problems,
  };
}
