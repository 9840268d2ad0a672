import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { attr, byClass, descendants, marksOf, networkReferences, parseReport } from '../report/html-tree.js';

describe('dblock bench', () => {
  it('refuses an unknown suite with a usage error', async () => {
    const { io, out } = captureIo();
    expect(await main(['node', 'dblock', 'bench', 'nosuch'], io)).toBe(64);
    expect(out.stderr).toContain('nosuch');
  });

  // The bundled CLI forks the bench workers from dist/bench: this proves it still finds them.
  it('runs the batch suite from the bundled CLI, as JSON and an HTML report (numbers not asserted: benchmarks are not tests)', async () => {
    const file = join(tempDir(), 'bench.html');
    const run = await runDblock(['bench', 'batch', '--quick', '--json', '--report', file]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      machine: string;
      tables: { title: string; columns: string[]; keyColumns?: number; rows: unknown[][] }[];
    };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('Write strategies of seed 001'),
      expect.stringContaining('Batch writer vs the raw floor, one process'),
      expect.stringContaining('4 processes writing one WAL database'),
    ]);
    expect(report.tables[0]?.rows).toHaveLength(12); // 6 strategies × WAL and rollback
    // Issue 14's rows: 2 producer patterns × 2 sizes (plus the floor's own rows with 4 processes).
    expect(report.tables[1]?.rows).toHaveLength(4);
    expect(report.tables[2]?.rows).toHaveLength(6);
    for (const table of report.tables.slice(1)) {
      const ratio = table.columns.indexOf('ratio');
      // Numbers stay numbers in --json: rows/s and the ratio to the floor.
      for (const row of table.rows) expect([typeof row[2], typeof row[ratio]]).toEqual(['number', 'number']);
    }
    expect(run.stderr).toContain('bench: batch');
    // The report: a section per suite run, a chart and the table for each of its tables, nothing fetched.
    const { root } = parseReport(file);
    expect(networkReferences(root)).toEqual([]);
    const suites = byClass(root, 'suite');
    expect(suites.map((s) => [attr(s, 'data-suite'), attr(s, 'data-tables')])).toEqual([['batch', '3']]);
    const figures = byClass(root, 'bench-table');
    expect(figures.map((f) => attr(f, 'data-title'))).toEqual(report.tables.map((t) => t.title));
    for (const [i, figure] of figures.entries()) {
      const table = report.tables[i] as (typeof report.tables)[number];
      // A bar per row in each panel: one panel per column of numbers after the key columns.
      const numeric = (c: number): boolean => table.rows.every((row) => /^[\d.,]+×?$/.test(String(row[c])));
      const measures = table.columns.filter((_, c) => c >= (table.keyColumns ?? 1) && numeric(c)).length;
      expect(measures).toBeGreaterThan(0);
      expect(marksOf(figure, 'ratios')).toHaveLength(table.rows.length * measures);
      expect(descendants(figure).filter((e) => e.tagName === 'tr')).toHaveLength(table.rows.length + 1);
    }
  });

  it('runs the bounded-WAL suite: off, the default and a small bound, for both concurrency modes', async () => {
    const run = await runDblock(['bench', 'wal', '--quick', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { tables: { title: string; rows: unknown[][] }[] };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('one serialized writer'),
      expect.stringContaining('one wal writer'),
    ]);
    for (const table of report.tables) expect(table.rows.map((row) => row[0])).toHaveLength(3);
  });
});
