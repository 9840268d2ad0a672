import { fromSystemError } from '../errors.js';
import type { JournalMode } from '../sqlite/options.js';
import { type ResolvedStressOptions, throwIfStopped, whenStopped } from './options.js';
import { workerScript } from './package-paths.js';
import type { WorkerConfig, WorkerReport } from './protocol.js';
import { planKills } from './schedule.js';
import { WorkloadTally } from './tally.js';
import { WorkerProcess } from './worker-process.js';

/** The tally of a finished workload, and how long the writing took. */
export interface WorkloadResult {
  readonly tally: WorkloadTally;
  readonly durationMs: number;
}

/** A started worker: `ready` settles once it has opened the database (or died trying). */
interface Started {
  readonly proc: WorkerProcess;
  readonly ready: Promise<void>;
  /** The sequence number it was killed in, once it reported `hold`. */
  readonly held: () => number | undefined;
}

/**
 * Run the built-in workload on `db` (canonical, prepared): `workers` processes each commit
 * transactions 0..ops-1. A worker in the kill plan stops inside one transaction (rows written, no
 * COMMIT) and reports `hold`; it is SIGKILLed there and restarted at that same transaction, which
 * can never have committed. Every earlier commit was reported before `hold` (protocol.ts), so what
 * the tally says committed is exact.
 */
export async function runWorkload(opts: ResolvedStressOptions, db: string, journalMode: JournalMode): Promise<WorkloadResult> {
  const script = workerScript();
  const plan = planKills(opts.seed, opts.workers, opts.ops, opts.kill);
  const tally = new WorkloadTally(opts.workers);
  const live = new Set<WorkerProcess>();
  const total = opts.workers * opts.ops;
  const progress = (): void => opts.onProgress({ done: tally.done, total, failed: tally.failedOps, kills: tally.kills });

  const start = (config: WorkerConfig): Started => {
    let held: number | undefined;
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const onReport = (report: WorkerReport): void => {
      if (report.t === 'ready') markReady();
      else if (report.t === 'hold') {
        held = report.seq;
        tally.kills += 1;
        proc.kill();
        progress();
      } else if (report.t !== 'done') {
        tally.record(config.worker, report);
        progress();
      }
    };
    const proc = new WorkerProcess(script, config, onReport);
    live.add(proc);
    void proc.exited.then(() => {
      live.delete(proc);
      markReady();
    });
    return { proc, ready, held: () => held };
  };

  /** Drive one worker to the end of its share, restarting it after a planned kill. */
  const finish = async (first: Started): Promise<void> => {
    let current = first;
    for (;;) {
      const exit = await current.proc.exited;
      if (opts.signal?.aborted) return;
      const held = current.held();
      if (held !== undefined && exit.signal === 'SIGKILL') {
        current = start({ ...current.proc.config, from: held, holdAt: null });
        await current.ready;
        current.proc.go();
        continue;
      }
      // A worker that could not start (no descriptor for its pipes) fails the run, not just its share.
      if (exit.error !== undefined) throw fromSystemError(exit.error, `starting stress worker ${current.proc.config.worker}`);
      if (exit.code !== 0) {
        const why = exit.stderr.trim().split('\n').slice(0, 3).join(' | ');
        tally.problem(`worker ${current.proc.config.worker} exited with ${exit.signal ?? `code ${exit.code}`}: ${why}`);
      }
      return;
    }
  };

  const firsts = Array.from({ length: opts.workers }, (_, worker) =>
    start({
      db,
      mode: opts.mode,
      journalMode,
      worker,
      from: 0,
      to: opts.ops,
      txnRows: opts.txnRows,
      holdAt: plan.get(worker) ?? null,
      lock: opts.lock,
      lockTimeoutMs: opts.lockTimeoutMs,
    }),
  );
  const stop = whenStopped(opts.signal);
  try {
    // Everyone opens first, then all start at once: contention from the first transaction.
    await Promise.race([Promise.all(firsts.map((w) => w.ready)), stop.stopped]);
    throwIfStopped(opts.signal);
    const started = performance.now();
    opts.onStart({ db, workers: opts.workers });
    for (const w of firsts) w.proc.go();
    await Promise.race([Promise.all(firsts.map(finish)), stop.stopped]);
    throwIfStopped(opts.signal);
    return { tally, durationMs: performance.now() - started };
  } finally {
    stop.off();
    const exits = [...live].map((proc) => proc.exited);
    for (const proc of live) proc.kill();
    // Dead before the caller removes a temporary database under them.
    await Promise.all(exits);
  }
}
