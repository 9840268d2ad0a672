import { type LogHistogram, sparkline } from './histogram.js';
import type { LatencySummary, StressReport } from './report.js';

/**
 * The report as a table for a person: one line per measure, the verdict last.
 * @example
 * dblock stress: 8 workers × 40 ops × 1 row, mode serialized, seed 7
 *   throughput        1,234 rows/s (1,234 txn/s) in 0.26 s
 *   wait shape        0.01 ms |▁▃█▅▂  ▁| 120 ms (log scale)
 *   …
 *   result            OK
 */
export function formatStressReport(report: StressReport): string {
  const what =
    report.command === null
      ? `${report.workers} workers × ${report.ops} ops × ${report.txnRows} row${report.txnRows === 1 ? '' : 's'}, mode ${report.mode}, seed ${report.seed}`
      : `${report.workers} workers × ${report.ops} runs of \`${report.command.join(' ')}\`${report.mode === 'unsafe' ? ' (unsafe: without dblock exec)' : ' under dblock exec'}`;
  const unit = report.command === null ? 'txn' : 'commands';
  const rate = report.rowsPerSec === null ? '' : `${number(report.rowsPerSec)} rows/s (`;
  const lines: [string, string][] = [
    ['duration', `${(report.durationMs / 1000).toFixed(2)} s`],
    ['throughput', `${rate}${number(report.opsPerSec)} ${unit}/s${rate === '' ? '' : ')'}`],
    [report.command === null ? 'txn latency' : 'command time', latency(report.txnLatencyMs)],
    ['lock wait', latency(report.lockWaitMs)],
    ['wait shape', shape(report.lockWaitHistogram)],
    ['busy errors', String(report.busyErrors)],
    ['retries', String(report.retries)],
    ['failed ops', String(report.failedOps)],
    ['kills', String(report.kills)],
    ['quick_check', report.quickCheck ?? 'n/a (not a SQLite database)'],
    ['integrity_check', report.integrityCheck ?? 'n/a'],
    ['journal mode', report.journalMode ?? 'n/a'],
  ];
  if (report.rowsExpected !== null) {
    lines.push(['rows', `${report.rowsExpected} expected, ${report.rowsCommitted} committed, ${report.rowsFound} found`]);
  }
  lines.push(['locks', report.locks]);
  if (report.kept) lines.push(['database', report.db]);
  lines.push([
    'result',
    report.ok ? 'OK' : `FAILED (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`,
  ]);
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  const body = lines.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
  const problems = report.problems.map((problem) => `  - ${problem}`);
  return [`dblock stress: ${what}`, ...body, ...problems, ''].join('\n');
}

function latency(summary: LatencySummary | null): string {
  if (summary === null) return 'n/a';
  return `p50 ${ms(summary.p50)}  p99 ${ms(summary.p99)}  max ${ms(summary.max)}`;
}

/** The waits' histogram as one line of block characters between its smallest and largest time. */
function shape(histogram: LogHistogram | null): string {
  if (histogram === null) return 'n/a';
  const { edgesMs } = histogram;
  const edge = (value: number): string => (value < 10 ? `${Number(value.toPrecision(2))} ms` : ms(value));
  return `${edge(edgesMs[0] ?? 0)} |${sparkline(histogram.counts)}| ${edge(edgesMs[edgesMs.length - 1] ?? 0)} (log scale)`;
}

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : number(value)} ms`;
}

function number(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
