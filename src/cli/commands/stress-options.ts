import { DEFAULTS, formatDefaultDuration, STRESS_MODES } from '../../defaults.js';
import { STRESS_TABLE } from '../../stress/table.js';
import { describeChoices, type OptionSpec } from '../option-spec.js';
import { BACKEND, LOCK_DIR, reportOption, URL } from '../shared-options.js';

/** The options of `dblock stress`, with the defaults its library applies. */
export const STRESS_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--db <path>',
    description: `the database to stress: the run writes a ${STRESS_TABLE} table in it (created, emptied first, left there; a table of that name with other columns is refused)`,
    defaultText: 'a fresh temporary one, removed afterwards',
  },
  { flags: '-n, --workers <n>', description: 'worker processes', defaultText: String(DEFAULTS.stressWorkers) },
  { flags: '-m, --ops <n>', description: 'transactions (or commands) per worker', defaultText: String(DEFAULTS.stressOps) },
  {
    flags: '--mode <mode>',
    description: `how workers write: ${describeChoices(STRESS_MODES, {
      serialized: 'dblock lock',
      wal: 'SQLite locking + retries',
      unsafe: 'neither: expect errors',
    })}`,
    defaultText: DEFAULTS.stressMode,
  },
  { flags: '--txn-rows <k>', description: 'rows per transaction', defaultText: String(DEFAULTS.stressTxnRows) },
  { flags: '--kill <k>', description: 'SIGKILL K workers inside a transaction, then restart them', defaultText: '0' },
  { flags: '--seed <s>', description: 'seed of the kill schedule, to replay a run', defaultText: 'random, reported' },
  { flags: '--keep', description: 'keep the temporary database and print its path' },
  BACKEND,
  URL,
  LOCK_DIR,
  {
    flags: '--stale <duration>',
    description: "mkdir backend: how soon a killed worker's lock is taken over (min 2s)",
    defaultText: formatDefaultDuration(DEFAULTS.stressStaleMs),
  },
  reportOption('lock timeline, latency histograms, fairness'),
  {
    flags: '--compare <modes>',
    description: 'run the same workload in each mode, e.g. serialized,wal,unsafe (side by side in --report)',
  },
];
