/** Counts of values in bins of equal width on a log scale. */
export interface LogHistogram {
  /** Bin edges in milliseconds, one more than `counts`. */
  readonly edgesMs: readonly number[];
  readonly counts: readonly number[];
}

/** Times below this are drawn as this (a log axis has no zero): 1 µs. */
export const LOG_FLOOR_MS = 0.001;

/**
 * Bin `values` (milliseconds) into `bins` bins spaced evenly on a log scale from the smallest to the
 * largest value; null for no values.
 * @example logHistogram([1, 10, 100], 2) // { edgesMs: [1, 10, 100], counts: [1, 2] }
 */
export function logHistogram(values: readonly number[], bins: number): LogHistogram | null {
  const edgesMs = logEdges(values, bins);
  if (edgesMs === null) return null;
  // Three significant digits: enough for an axis, and JSON stays readable.
  return { edgesMs: edgesMs.map((edge) => Number(edge.toPrecision(3))), counts: countInto(values, edgesMs) };
}

/** `bins + 1` edges spaced evenly on a log scale around `values` (null for none). */
export function logEdges(values: readonly number[], bins: number): number[] | null {
  if (values.length === 0) return null;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const value of values) {
    const v = Math.max(value, LOG_FLOOR_MS);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // One value, or all equal: a decade around it, so the bar has a width.
  if (hi <= lo * 1.0001) {
    lo /= Math.SQRT2 * 2;
    hi *= Math.SQRT2 * 2;
  }
  const [logLo, logHi] = [Math.log10(lo), Math.log10(hi)];
  const step = (logHi - logLo) / bins;
  return Array.from({ length: bins + 1 }, (_, i) => 10 ** (logLo + i * step));
}

/** How many of `values` fall in each bin of log-spaced `edges` (outliers go to the first or last bin). */
export function countInto(values: readonly number[], edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const logLo = Math.log10(edges[0] as number);
  const step = (Math.log10(edges[bins] as number) - logLo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const value of values) {
    const at = Math.floor((Math.log10(Math.max(value, LOG_FLOOR_MS)) - logLo) / step);
    const bin = Math.min(bins - 1, Math.max(0, at));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return counts;
}

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One line of Unicode block characters, one per bin, its height the bin's share of the largest; an
 * empty bin is a space. Plain characters, no escape sequences, so it reads the same in a CI log.
 * @example sparkline([0, 1, 4, 2]) // ' ▂█▄'
 */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  return counts.map((count) => (count === 0 ? ' ' : (BLOCKS[Math.min(7, Math.floor((count / max) * 7.999))] as string))).join('');
}
