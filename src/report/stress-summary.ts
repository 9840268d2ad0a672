import type { LatencySummary, StressReport } from '../stress/report.js';
import { dataAttributes, escapeHtml } from './html-page.js';

/** The verdict box: green when everything verified, red with the problems otherwise. */
export function verdict(report: StressReport, name: string): string {
  const rows =
    report.rowsExpected === null
      ? []
      : [`rows ${report.rowsExpected} expected, ${report.rowsCommitted} committed, ${report.rowsFound} found`];
  const checks = [
    `quick_check ${report.quickCheck ?? 'n/a'}`,
    `integrity_check ${report.integrityCheck ?? 'n/a'}`,
    ...rows,
    `locks ${report.locks}`,
    `journal ${report.journalMode ?? 'n/a'}`,
  ];
  const problems = report.problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('');
  const attrs = dataAttributes({ ok: report.ok, mode: report.mode });
  return `<div class="verdict ${report.ok ? 'ok' : 'failed'}"${attrs}>
<strong>${escapeHtml(name)}: ${report.ok ? 'OK, everything verified' : `FAILED (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`}</strong>
<div class="checks">${checks.map((check) => `<span>${escapeHtml(check)}</span>`).join('')}</div>
${problems === '' ? '' : `<ul>${problems}</ul>`}
</div>`;
}

/** The numbers of the terminal's table, one column per run. */
export function summaryTable(reports: readonly StressReport[], name: (report: StressReport) => string): string {
  const measures: [string, (r: StressReport) => string][] = [
    ['duration', (r) => `${(r.durationMs / 1000).toFixed(2)} s`],
    ['throughput', (r) => `${Math.round(r.opsPerSec).toLocaleString('en-US')} ${r.command === null ? 'txn' : 'commands'}/s`],
    [reports[0]?.command === null ? 'txn latency' : 'command time', (r) => latency(r.txnLatencyMs)],
    ['lock wait', (r) => latency(r.lockWaitMs)],
    ['busy errors', (r) => String(r.busyErrors)],
    ['retries', (r) => String(r.retries)],
    ['failed ops', (r) => String(r.failedOps)],
    ['kills', (r) => String(r.kills)],
  ];
  const head = `<tr><th></th>${reports.map((r) => `<th>${escapeHtml(name(r))}</th>`).join('')}</tr>`;
  const body = measures.map(
    ([label, value]) =>
      `<tr><td>${label}</td>${reports.map((r) => `<td class="num">${escapeHtml(value(r))}</td>`).join('')}</tr>`,
  );
  return `<table class="summary">${head}${body.join('')}</table>`;
}

function latency(summary: LatencySummary | null): string {
  if (summary === null) return 'n/a';
  return `p50 ${summary.p50} · p99 ${summary.p99} · max ${summary.max} ms`;
}
