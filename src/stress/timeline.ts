import type { WorkerReport } from './protocol.js';

/** How one operation ended: committed, failed, killed inside its transaction, or a user command's run. */
export type TimelineOpKind = 'commit' | 'fail' | 'killed' | 'command' | 'command-failed';

/** One operation of one lane. Times are milliseconds since writing started, on the shared clock. */
export interface TimelineOp {
  /** The worker (or command lane). */
  readonly lane: number;
  readonly seq: number;
  readonly kind: TimelineOpKind;
  /** When the worker asked for the lock (a command: when it was spawned). */
  readonly start: number;
  /** How long it waited before its transaction began (null when unknown: a failure, a command). */
  readonly waitMs: number | null;
  /**
   * How long it surely held the lock: from BEGIN to the end of its statements (COMMIT and the release
   * follow); killed: until the SIGKILL. Null when unknown (a failure, a command).
   */
  readonly heldMs: number | null;
  /** COMMIT returned, the failure came back, the SIGKILL was sent, or the command exited. */
  readonly end: number;
}

/** Who did what when, for a picture of a stress run (`runStress({ onTimeline })`). */
export interface StressTimeline {
  readonly lanes: number;
  /** Writing took this long (the last operation may end a little later). */
  readonly durationMs: number;
  readonly ops: readonly TimelineOp[];
}

/**
 * Collects the times the workers report (`at` on the shared clock, see protocol.ts) relative to the
 * start of writing. A few numbers per operation: cheap enough to record on every run.
 */
export class TimelineRecorder {
  readonly #lanes: number;
  readonly #ops: TimelineOp[] = [];
  #origin = 0;

  constructor(lanes: number) {
    this.#lanes = lanes;
  }

  /** Writing starts now (`at`, on the shared clock). */
  start(at: number): void {
    this.#origin = at;
  }

  /** A worker's `commit` or `fail` report. */
  record(lane: number, report: Extract<WorkerReport, { t: 'commit' | 'fail' }>): void {
    const start = report.at - this.#origin;
    const end = start + report.latencyMs;
    if (report.t === 'commit') {
      const { seq, waitMs, heldMs } = report;
      this.#ops.push({ lane, seq, kind: 'commit', start, waitMs, heldMs, end });
    } else this.#ops.push({ lane, seq: report.seq, kind: 'fail', start, waitMs: null, heldMs: null, end });
  }

  /** A worker that reported `hold` was SIGKILLed at `killedAt` (shared clock). */
  killed(lane: number, report: Extract<WorkerReport, { t: 'hold' }>, killedAt: number): void {
    const start = report.at - this.#origin;
    const end = killedAt - this.#origin;
    this.#ops.push({
      lane,
      seq: report.seq,
      kind: 'killed',
      start,
      waitMs: report.waitMs,
      heldMs: end - start - report.waitMs,
      end,
    });
  }

  /** A user command's run in `lane`, spawned at `startedAt` (shared clock). */
  command(lane: number, seq: number, startedAt: number, latencyMs: number, ok: boolean): void {
    const start = startedAt - this.#origin;
    const kind = ok ? 'command' : 'command-failed';
    this.#ops.push({ lane, seq, kind, start, waitMs: null, heldMs: null, end: start + latencyMs });
  }

  finish(durationMs: number): StressTimeline {
    return { lanes: this.#lanes, durationMs, ops: this.#ops };
  }
}
