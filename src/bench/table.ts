import type { BenchCell, BenchTable, Measure } from './types.js';

/** Median of a list of numbers (NaN for an empty list). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Format a number for a table: integers plain, small values with 2–3 significant decimals. */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/** A number shown as `fmt` shows it; JSON gets the number itself. */
export function num(value: number, digits = 2): Measure {
  return { value, text: fmt(value, digits) };
}

/** A ratio, shown with a `×`; JSON gets the number itself. */
export function times(value: number, digits = 2): Measure {
  return { value, text: `${fmt(value, digits)}×` };
}

/** How text and markdown show a cell. */
export function cellText(cell: BenchCell): string {
  return typeof cell === 'object' ? cell.text : String(cell);
}

/** Render a table as GitHub markdown. */
export function toMarkdown(table: BenchTable): string {
  const head = `| ${table.columns.join(' | ')} |`;
  const rule = `| ${table.columns.map(() => '---').join(' | ')} |`;
  const body = table.rows.map((row) => `| ${row.map(cellText).join(' | ')} |`);
  const notes = (table.notes ?? []).map((note) => `\n${note}`);
  return [`### ${table.title}`, '', head, rule, ...body, ...notes, ''].join('\n');
}

/** Render a table as aligned plain text for a terminal. */
export function toText(table: BenchTable): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(cellText))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  const out = [table.title, line(table.columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells.slice(1)) out.push(line(row));
  for (const note of table.notes ?? []) out.push(note);
  return `${out.join('\n')}\n`;
}

/** Median µs per call of `op` over `batches` timed batches of `size` calls each. */
export async function perOpMicros(batches: number, size: number, op: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < size; i++) await op();
    samples.push(((performance.now() - start) * 1000) / size);
  }
  return median(samples);
}
