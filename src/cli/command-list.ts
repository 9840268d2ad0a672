import { SUITES } from '../bench/suites.js';
import { CHECKPOINT_MODES, DEFAULTS, JOURNAL_MODES } from '../defaults.js';
import type { CommandSpec } from './command-spec.js';
import { EXEC_OPTIONS, FROM_FLOCK } from './commands/exec-options.js';
import { STRESS_OPTIONS } from './commands/stress-options.js';
import { describeChoices } from './option-spec.js';
import {
  DATABASE_OPTIONS,
  LOCK_DIR,
  REGISTRY,
  REGISTRY_OPTIONS,
  reportOption,
  TARGET_OPTIONS,
  timeoutOption,
} from './shared-options.js';

/** `init`, `check`, `checkpoint`: they work on a database file (`--db`, no `--lock`). */
function databaseCommand(spec: CommandSpec): CommandSpec {
  return { ...spec, options: [...spec.options, ...DATABASE_OPTIONS] };
}

/** `intents`, `reap`, `conflicts`: they read the write-intent registry and take no lock. */
function registryCommand(
  spec: Pick<CommandSpec, 'name' | 'summary' | 'load'> & Partial<Pick<CommandSpec, 'options' | 'examples'>>,
): CommandSpec {
  return {
    ...spec,
    options: [...(spec.options ?? []), ...REGISTRY_OPTIONS],
    takesLock: false,
    examples: spec.examples ?? [`dblock ${spec.name}`, `dblock ${spec.name} --json`],
  };
}

/** Every command, in the order `dblock --help` lists them; each one's code loads only when it runs. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'exec',
    summary: 'run a command while holding the lock and/or its declared write intents; exit with its status',
    usage: '[options] [FILE] [--] CMD [ARGS...]',
    arguments: [
      {
        syntax: '<command...>',
        description: 'the command to run; without --db, --lock or --writes, FILE CMD… locks FILE (like flock FILE CMD…)',
      },
    ],
    options: EXEC_OPTIONS,
    takesLock: true,
    passThrough: true,
    examples: [
      'dblock exec --db app.db -- sqlite3 app.db "UPDATE counters SET n = n + 1"',
      'dblock exec --db app.db --timeout 0 -- ./migrate.sh      # skip if someone holds it',
      'dblock exec --lock /var/lock/nightly.lock -E 0 -- ./nightly.sh   # cron: never overlap',
      'dblock exec --db app.db --shared -- ./backup.sh',
      'dblock exec --writes data/ --writes report.json -- ./build.sh   # refused (75) if another task writes them',
      'dblock exec --writes state.json --policy queue --timeout 10m -- ./agent.sh',
      'dblock exec -n /tmp/job.lock -c "./a.sh && ./b.sh"    # flock\'s own spelling',
    ],
    notes: FROM_FLOCK,
    load: () => import('./commands/exec.js'),
  },
  {
    name: 'append',
    summary: 'append whole lines to FILE under its lock: one write() per line, then fsync',
    arguments: [
      {
        syntax: '<file>',
        description: 'the regular file to append to (created if missing; not a FIFO, socket, device or directory)',
      },
      { syntax: '[line]', description: 'the line to append; without it, each line of stdin' },
    ],
    options: [
      { flags: '--lock <path>', description: 'use this exact file as the lock (not a directory)', defaultText: 'FILE.lock' },
      { ...LOCK_DIR, description: 'keep the sidecar in DIR' },
      timeoutOption('for the lock'),
    ],
    takesLock: true,
    examples: [
      'dblock append runs.jsonl \'{"run":42,"status":"ok"}\'',
      'producer | dblock append events.jsonl',
      'dblock append --lock /tmp/log.lock app.log "started"',
      'dblock append --json events.jsonl "done"             # {"file":…,"lines":1,"bytes":5}',
    ],
    load: () => import('./commands/append.js'),
  },
  {
    name: 'status',
    summary: 'who holds the lock now (verified by a non-blocking try, not by the record), and write intents touching it',
    options: [
      REGISTRY,
      { flags: '--check', description: 'exit 0 when the lock is free, 1 when anyone holds it (shared or exclusive)' },
      ...TARGET_OPTIONS,
    ],
    takesLock: false,
    examples: [
      'dblock status --db app.db',
      'dblock status --lock /var/lock/nightly.lock --json',
      'dblock status --lock /var/lock/nightly.lock --check -q || echo "nightly is running"',
    ],
    load: () => import('./commands/status.js'),
  },
  databaseCommand({
    name: 'init',
    summary: 'create or open a database under the init lock: check the header, set the journal mode, migrate',
    options: [
      { flags: '--schema <file.sql>', description: 'schema to apply once to a new database (as migration 1)' },
      {
        flags: '--migrations <dir>',
        description: 'directory of numbered .sql files (001_init.sql…), tracked by PRAGMA user_version',
      },
      {
        flags: '--journal <mode>',
        description: 'journal mode (never downgrades a WAL database)',
        choices: JOURNAL_MODES,
        defaultText: DEFAULTS.journalMode,
      },
      timeoutOption("for dblock's locks and SQLite's own, held by another connection"),
      { flags: '--force', description: 'use WAL even on a network filesystem' },
    ],
    takesLock: true,
    examples: [
      'dblock init --db app.db --schema schema.sql',
      'dblock init --db app.db --migrations ./migrations     # run from every worker: each file applies once',
      'dblock init --db app.db --journal delete --json',
    ],
    load: () => import('./commands/init.js'),
  }),
  databaseCommand({
    name: 'check',
    summary: 'inspect a database read-only: header, journal, sizes, quick_check, invariant, locks (exit 65 on failure)',
    options: [
      { flags: '--full', description: 'run integrity_check instead of quick_check (slower, checks indexes too)' },
      timeoutOption('while another connection keeps the database locked'),
    ],
    takesLock: false,
    examples: ['dblock check --db app.db', 'dblock check --db app.db --full --json', 'dblock check --db app.db -q || alert'],
    load: () => import('./commands/check.js'),
  }),
  databaseCommand({
    name: 'checkpoint',
    summary: 'copy the WAL into the database file under the write lock',
    options: [
      {
        flags: '--mode <mode>',
        description: describeChoices(CHECKPOINT_MODES, {
          passive: 'never waits for readers',
          truncate: 'also empties -wal',
        }),
        defaultText: DEFAULTS.checkpointMode,
      },
      timeoutOption("for the write lock, dblock's and SQLite's"),
    ],
    takesLock: true,
    examples: [
      'dblock checkpoint --db app.db',
      'dblock checkpoint --db app.db --mode truncate --json   # cron: keep -wal bounded',
    ],
    load: () => import('./commands/checkpoint.js'),
  }),
  {
    name: 'stress',
    summary: 'run N worker processes writing one database at once, then verify it (CI)',
    arguments: [
      {
        syntax: '[command...]',
        description: 'run this command per operation under dblock exec, instead of the built-in workload (after --)',
      },
    ],
    options: STRESS_OPTIONS,
    takesLock: true,
    passThrough: true,
    examples: [
      'dblock stress                               # 8 workers × 40 transactions, then verify',
      'dblock stress --workers 16 --ops 1000 --kill 3 --json',
      'dblock stress --mode unsafe                 # what happens without dblock',
      'dblock stress --kill 2 --report run.html    # who held the lock when, as a picture',
      'dblock stress --compare serialized,wal,unsafe --report modes.html',
      'dblock stress --backend mkdir --lock-dir /tmp/locks',
      'dblock stress --db app.db -- ./worker.sh    # each op: dblock exec --db app.db -- ./worker.sh',
    ],
    load: () => import('./commands/stress.js'),
  },
  registryCommand({
    name: 'intents',
    summary: 'list in-flight write intents: paths, pid, host, command, age, TTL left',
    load: () => import('./commands/intents.js'),
  }),
  registryCommand({
    name: 'reap',
    summary: 'remove write intents whose task died or whose TTL passed, and say which',
    load: () => import('./commands/reap.js'),
  }),
  registryCommand({
    name: 'conflicts',
    summary: 'the write-intent conflict log: time, task, conflicting task, path, policy, outcome',
    options: [
      { flags: '--since <when>', description: 'only conflicts in the last D (1h, 30m) or since a date (2025-06-01T12:00)' },
    ],
    examples: ['dblock conflicts', 'dblock conflicts --since 1h --json'],
    load: () => import('./commands/conflicts.js'),
  }),
  {
    name: 'bench',
    summary: 'measure lock cost, contention across processes and write strategies on this machine',
    arguments: [
      { syntax: '[suites...]', description: `suites to run: ${SUITES.map((suite) => suite.name).join(', ')} (default: all)` },
    ],
    options: [
      { flags: '--quick', description: 'shorter runs: a quick look, not numbers to publish' },
      { flags: '--markdown', description: 'print the tables as GitHub markdown' },
      reportOption('each table as bars of ratios'),
    ],
    takesLock: false,
    examples: [
      'dblock bench',
      'dblock bench batch --markdown > bench.md',
      'dblock bench --quick --json | jq .tables',
      'dblock bench --report bench.html',
    ],
    load: () => import('./commands/bench.js'),
  },
];
