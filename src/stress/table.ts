/** The table the built-in workload writes: one row per (worker, seq, row). No unique key, so a duplicate shows up in the check instead of failing an insert. */
export const STRESS_TABLE = 'dblock_stress';

/** The columns of STRESS_TABLE, in order: a table of that name with others is somebody else's. */
export const STRESS_COLUMNS = ['worker', 'seq', 'row', 'at'] as const;

/** Created by the runner before the workers start (and emptied, so each run checks only its own rows). */
export const STRESS_SCHEMA = `CREATE TABLE IF NOT EXISTS ${STRESS_TABLE} (
  ${STRESS_COLUMNS.map((column) => `${column} INTEGER NOT NULL`).join(', ')}
)`;
