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
    const report = JSON.parse(run.stdout) as { machine: string; tables: JsonTable[] };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('Write strategies, one process'),
      expect.stringContaining('4 processes writing one WAL database'),
    ]);
    expectNumericMeasures(report.tables[0] as JsonTable, ['usPerRow', 'rowsPerSec', 'vsSyncSameRowsPerTxn']);
    expectNumericMeasures(report.tables[1] as JsonTable, ['rowsPerSecAllProcesses', 'fairnessMinPerMax', 'vsRawFloor']);
    expect(report.tables[0]?.rows).toHaveLength(12); // 6 strategies × WAL and rollback
    expect(report.tables[1]?.rows).toHaveLength(4);
    expect(run.stderr).toContain('bench: batch');
    // The report: a section per suite run, a chart and the table for each of its tables, nothing fetched.
    const { root } = parseReport(file);
    expect(networkReferences(root)).toEqual([]);
    const suites = byClass(root, 'suite');
    expect(suites.map((s) => [attr(s, 'data-suite'), attr(s, 'data-tables')])).toEqual([['batch', '2']]);
    const figures = byClass(root, 'bench-table');
    expect(figures.map((f) => attr(f, 'data-title'))).toEqual(report.tables.map((t) => t.title));
    for (const [i, figure] of figures.entries()) {
      const table = report.tables[i] as JsonTable;
      // A bar per row in each panel: one panel per column of numbers after the key columns.
      const numeric = (key: string): boolean => table.rows.every((row) => typeof row[key] === 'number');
      const measures = table.columns.filter((column, c) => c >= table.keyColumns && numeric(column.key)).length;
      expect(measures).toBeGreaterThan(0);
      expect(marksOf(figure, 'ratios')).toHaveLength(table.rows.length * measures);
      expect(descendants(figure).filter((e) => e.tagName === 'tr')).toHaveLength(table.rows.length + 1);
    }
  });

  it('runs the bounded-WAL suite: off, the default and a small bound, for both concurrency modes', async () => {
    const run = await runDblock(['bench', 'wal', '--quick', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { tables: JsonTable[] };
    expect(report.tables.map((t) => t.title)).toEqual([
      expect.stringContaining('one serialized writer'),
      expect.stringContaining('one wal writer'),
    ]);
    for (const table of report.tables) {
      expect(table.rows).toHaveLength(3);
      expectNumericMeasures(table, ['medianUsPerWrite', 'writesPerSec', 'vsOffMedianOfPairedRounds']);
    }
  });

  it('prints no goals or references to internal documents in the human report', async () => {
    const run = await runDblock(['bench', 'wal', '--quick']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Bounded WAL');
    expect(run.stdout).toContain('×'); // ratios are formatted for people
    expect(run.stdout).not.toMatch(/\bgoal|SPEC §|seed 0\d\d|issue \d/i);
  });
});

interface JsonTable {
  title: string;
  columns: { key: string; label: string }[];
  keyColumns: number;
  rows: Record<string, unknown>[];
  notes: string[];
}

/** Each named measure is a number in every row (never a display string such as "2,005" or "4.42×"). */
function expectNumericMeasures(table: JsonTable, keys: string[]): void {
  expect(table.columns.map((c) => c.key)).toEqual(expect.arrayContaining(keys));
  expect(table.rows.length).toBeGreaterThan(0);
  for (const row of table.rows) for (const key of keys) expect(typeof row[key], `${table.title}: ${key}`).toBe('number');
}
