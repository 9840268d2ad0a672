import type { WorkerReport } from './protocol.js';

const MAX_PROBLEMS = 10;

/** What the workers reported: the runner's only record of what committed. */
export class WorkloadTally {
  /** Per worker, the sequence numbers whose transactions committed. */
  readonly committed: Set<number>[];
  readonly waitsMs: number[] = [];
  readonly latenciesMs: number[] = [];
  retries = 0;
  busyErrors = 0;
  failedOps = 0;
  kills = 0;
  /** Operations finished (committed or failed). */
  done = 0;
  /** Failed operations grouped by error, so ten thousand busy errors make one line. */
  readonly #failures = new Map<string, { count: number; first: string }>();
  readonly #problems: string[] = [];

  constructor(workers: number) {
    this.committed = Array.from({ length: workers }, () => new Set<number>());
  }

  /** Account for a `commit` or `fail` report of `worker`. */
  record(worker: number, report: Extract<WorkerReport, { t: 'commit' | 'fail' }>): void {
    this.done += 1;
    if (report.t === 'commit') {
      const seqs = this.committed[worker] as Set<number>;
      if (seqs.has(report.seq)) this.problem(`worker ${worker} reported seq ${report.seq} committed twice`);
      seqs.add(report.seq);
      this.waitsMs.push(report.waitMs);
      this.latenciesMs.push(report.latencyMs);
      this.retries += report.retries;
      return;
    }
    this.failedOps += 1;
    if (report.busy) this.busyErrors += 1;
    const key = `${report.code}: ${report.message}`;
    const seen = this.#failures.get(key);
    if (seen === undefined) this.#failures.set(key, { count: 1, first: `worker ${worker} seq ${report.seq}` });
    else seen.count += 1;
  }

  /** Something that did not verify (the first few are kept). */
  problem(text: string): void {
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push(text);
  }

  /** The failures, one line per distinct error, then the other problems. */
  problems(): string[] {
    const failures = [...this.#failures].map(
      ([error, { count, first }]) => `${count} transaction${count === 1 ? '' : 's'} failed with ${error} (first: ${first})`,
    );
    return [...failures, ...this.#problems];
  }
}
