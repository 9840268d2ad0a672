/** A measured number and how a table shows it: JSON gets `value`, text and markdown get `text`. */
export interface Measure {
  readonly value: number;
  readonly text: string;
}

/** One cell of a benchmark table: a label, a plain number, or a formatted measure. */
export type BenchCell = string | number | Measure;

/** One benchmark table: a title, column names (units in the name), rows of cells, and notes. */
export interface BenchTable {
  title: string;
  columns: string[];
  /** How many leading columns name a row (the rest are measures). @default 1 */
  keyColumns?: number;
  rows: BenchCell[][];
  notes?: string[];
}

/** What every suite gets: a shorter run for `--quick`, and a progress line sink. */
export interface BenchOptions {
  quick: boolean;
  log: (line: string) => void;
}

/** A named benchmark suite producing one or more tables. `quick` runs shorter (for `dblock bench --quick`). */
export interface BenchSuite {
  name: string;
  /** How many progress lines (`log` calls) the suite makes: the progress bar's share for it. */
  steps: number;
  run: (options: BenchOptions) => Promise<BenchTable[]>;
}
