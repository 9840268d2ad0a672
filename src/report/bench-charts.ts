import { cellText } from '../bench/table.js';
import type { BenchCell, BenchTable } from '../bench/types.js';
import type { ChartSpec } from './render-svg.js';
import { COLORS } from './timeline-spec.js';

/** A table cell as a number: `1,234`, `0.52`, `4.93×`; NaN for text. */
export function cellNumber(cell: BenchCell): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'object') return cell.value;
  const text = cell.trim().replace(/,/g, '').replace(/×$/, '');
  return text === '' || !/^-?[\d.]+(e-?\d+)?$/i.test(text) ? Number.NaN : Number(text);
}

/** The leading columns that name a row, joined, for each row. */
export function rowLabels(table: BenchTable): string[] {
  const keys = table.keyColumns ?? 1;
  return table.rows.map((row) => row.slice(0, keys).map(cellText).join(' · '));
}

/** Measure columns: after the key columns, numeric in every row. */
export function measureColumns(table: BenchTable): number[] {
  const keys = table.keyColumns ?? 1;
  return table.columns
    .map((_, i) => i)
    .filter((i) => i >= keys && table.rows.length > 0 && table.rows.every((row) => Number.isFinite(cellNumber(row[i] ?? ''))));
}

/**
 * One panel per measure column: each row's value as a bar of its ratio to the first row's (log
 * scale, from 1), the raw number beside it. Null when the table has no numeric column.
 */
export function benchTableSpec(table: BenchTable): ChartSpec | null {
  const columns = measureColumns(table);
  if (columns.length === 0) return null;
  const labels = rowLabels(table);
  const values: Record<string, unknown>[] = [];
  for (const column of columns) {
    const metric = table.columns[column] as string;
    const base = cellNumber(table.rows[0]?.[column] ?? '');
    table.rows.forEach((row, i) => {
      const value = cellNumber(row[column] ?? '');
      const ratio = base > 0 && value > 0 ? value / base : null;
      const raw = cellText(row[column] ?? '');
      const vs = ratio === null ? 'no ratio (zero)' : `${Number(ratio.toPrecision(3))}× the first row`;
      values.push({ metric, label: labels[i], ratio, one: 1, raw, text: `${labels[i]}: ${metric} ${raw} (${vs})` });
    });
  }
  const x = { field: 'ratio', type: 'quantitative', title: 'ratio to the first row (log)', scale: { type: 'log', padding: 36 } };
  const y = { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 260 } };
  const text = (side: 'above' | 'below') => ({
    transform: [{ filter: side === 'above' ? 'datum.ratio >= 1' : 'datum.ratio < 1' }],
    mark: { type: 'text', align: side === 'above' ? 'left' : 'right', dx: side === 'above' ? 3 : -3, fontSize: 10 },
    encoding: { x, y, text: { field: 'raw' } },
  });
  return {
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: columns.map((c) => table.columns[c]) },
    columns: 3,
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 200,
      height: { step: 16 },
      layer: [
        {
          name: 'ratios',
          transform: [{ filter: 'datum.ratio !== null' }],
          mark: { type: 'bar', color: COLORS.hold, height: { band: 0.7 } },
          encoding: { x, x2: { field: 'one' }, y, description: { field: 'text' } },
        },
        { mark: { type: 'rule', color: '#888' }, encoding: { x: { datum: 1 } } },
        text('above'),
        text('below'),
      ],
    },
  };
}
