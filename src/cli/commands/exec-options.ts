import type { OptionSpec } from '../option-spec.js';
import type { GlobalFlags } from '../output.js';
import type { TargetFlags } from '../target-options.js';
import type { IntentFlags } from './exec-intent.js';

/** The flags of `dblock exec` (besides the target and global ones). */
export interface ExecFlags extends TargetFlags, IntentFlags, GlobalFlags {
  shared?: boolean;
  exclusive?: boolean;
  timeout?: string;
  nonblock?: boolean;
  close?: boolean;
  conflictExitCode?: string;
  /** `-c "shell command"`: run through `sh -c`. */
  command?: string;
  slots?: string;
  lostGrace?: string;
  maxHold?: string;
  killAfter?: string;
}

/** `dblock exec`'s own options, shared by commander and the fast path. */
export const EXEC_OPTIONS: readonly OptionSpec[] = [
  { flags: '-s, --shared', description: 'take a shared lock (readers), not an exclusive one' },
  { flags: '-x, --exclusive', description: 'take an exclusive lock (the default)' },
  {
    flags: '-w, --timeout <duration>',
    description: 'how long to wait: 5s, 250ms, 2m, 0 = try once, inf (default 30s or DBLOCK_TIMEOUT)',
  },
  {
    flags: '--slots <n>',
    description: 'admit up to N holders at once, each in a slot of its own (every user of the lock must give the same N)',
  },
  {
    flags: '--max-hold <duration>',
    description: 'stop CMD and its descendants (SIGTERM, then SIGKILL) if it holds the lock longer than this; exit 124',
  },
  { flags: '--kill-after <duration>', description: 'with --max-hold: SIGKILL what is left this long after SIGTERM (default 5s)' },
  { flags: '-n, --nonblock', description: 'fail at once if the lock is busy (= --timeout 0)' },
  { flags: '-o, --close', description: 'do not pass the lock to the command (it is released only when dblock exits)' },
  { flags: '-c, --command <shell-command>', description: 'run this string through sh -c (instead of CMD ARGS…)' },
  {
    flags: '-E, --conflict-exit-code <n>',
    description: 'exit code when the lock is busy, the wait times out or the intent is refused (default 75)',
  },
  {
    flags: '--lost-grace <duration>',
    description: 'when the lock is lost (postgres, mkdir): SIGTERM the command, then SIGKILL after this long (default 2s)',
  },
  {
    flags: '--writes <path>',
    description: 'declare a path CMD will write (repeatable; a directory covers everything below it)',
    repeatable: true,
  },
  { flags: '--policy <policy>', description: 'when another task declared an overlapping path: refuse (default), queue or warn' },
  {
    flags: '--ttl <duration>',
    description: 'the intent lapses this long after admission even if CMD still runs (default: none)',
  },
  { flags: '--task-id <id>', description: 'name of this task in the registry (default: generated)' },
  {
    flags: '--registry <path|url>',
    description: 'the write-intent registry: a SQLite file (default $DBLOCK_HOME/intents.db) or postgres://… (with --scope)',
  },
  {
    flags: '--scope <name>',
    description: 'with a postgres registry: the shared root --writes paths are relative to (e.g. the repository URL)',
  },
  {
    flags: '--scope-root <dir>',
    description: "the local directory that is the scope's root (default $DBLOCK_SCOPE_ROOT, else the git checkout's top)",
  },
];
