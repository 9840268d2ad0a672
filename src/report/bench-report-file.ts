import { type BenchRun, renderBenchHtml } from './bench-html.js';
import { writeReportFile } from './report-file.js';

/**
 * Render `dblock bench --report` and write the page to `path` (checked beforehand with `checkReportPath`).
 * @throws DblockError EREPORT when it cannot be written
 */
export async function writeBenchReport(path: string, run: BenchRun): Promise<void> {
  writeReportFile(path, await renderBenchHtml(run, new Date()));
}
