import { writeReportFile } from './report-file.js';
import { renderStressHtml, type StressRun } from './stress-html.js';

/**
 * Render the runs of `dblock stress --report` and write the page to `path` (checked beforehand with
 * `checkReportPath`).
 * @throws DblockError EREPORT when it cannot be written
 */
export async function writeStressReport(path: string, runs: readonly StressRun[]): Promise<void> {
  writeReportFile(path, await renderStressHtml(runs, new Date()));
}
