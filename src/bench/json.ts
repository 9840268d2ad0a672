import type { BenchCell, BenchTable } from './types.js';

/** A table as `--json` gives it: numbers as numbers, each row an object keyed by its column's key. */
export interface BenchTableJson {
  title: string;
  /** Each column's label (as the text report shows it) and its key in `rows`. */
  columns: { key: string; label: string }[];
  /** How many leading columns name a row (the rest are measures). */
  keyColumns: number;
  rows: Record<string, string | number | null>[];
  notes: string[];
}

/**
 * A column label as a JSON key that keeps its unit: `rows/s` → `rowsPerSec`, `wait p99 µs` →
 * `waitP99Us`, `µs/op` → `usPerOp`, `vs raw floor` → `vsRawFloor`, `rows/s ×` → `rowsPerSecRatio`.
 */
export function jsonKey(label: string): string {
  const words = label
    .replace(/µs/g, 'us')
    .replace(/\/s\b/g, ' per sec')
    .replace(/\//g, ' per ')
    .replace(/×/g, ' ratio')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '');
  const key = words
    .map((word, i) => (i === 0 ? word[0]?.toLowerCase() + word.slice(1) : word[0]?.toUpperCase() + word.slice(1)))
    .join('');
  return key === '' ? 'value' : key;
}

/** The JSON form of a table: every measure a number (NaN and infinities become null), keys unique. */
export function tableToJson(table: BenchTable): BenchTableJson {
  const seen = new Map<string, number>();
  const columns = table.columns.map((label) => {
    const base = jsonKey(label);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { key: n === 1 ? base : `${base}${n}`, label };
  });
  const rows = table.rows.map((row) => Object.fromEntries(columns.map(({ key }, i) => [key, cellValue(row[i])])));
  return { title: table.title, columns, keyColumns: table.keyColumns ?? 1, rows, notes: table.notes ?? [] };
}

function cellValue(cell: BenchCell | undefined): string | number | null {
  if (cell === undefined) return null;
  const value = typeof cell === 'object' ? cell.value : cell;
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
