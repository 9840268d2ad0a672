import { DEFAULTS, formatDefaultDuration, INTENT_POLICIES } from '../../defaults.js';
import { EXIT } from '../../errors.js';
import type { OptionSpec } from '../option-spec.js';
import type { GlobalFlags } from '../output.js';
import { REGISTRY_OPTIONS, TARGET_OPTIONS, timeoutOption } from '../shared-options.js';
import type { TargetFlags } from '../target-options.js';
import type { IntentFlags } from './exec-intent.js';

/** The flags of `dblock exec` (kept apart from exec.ts: its helpers and the fast path need them without its code). */
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

/** Every option of `dblock exec` but the global ones, shared by commander and the fast path. */
export const EXEC_OPTIONS: readonly OptionSpec[] = [
  { flags: '-s, --shared', description: 'take a shared lock (readers), not an exclusive one' },
  { flags: '-x, --exclusive', description: 'take an exclusive lock (the default)' },
  timeoutOption('for the lock and the write intent'),
  {
    flags: '--slots <n>',
    description: 'admit up to N holders at once, each in a slot of its own (every user of the lock must give the same N)',
  },
  {
    flags: '--max-hold <duration>',
    description: 'stop CMD and its descendants (SIGTERM, then SIGKILL) if it holds the lock longer than this; exit 124',
  },
  {
    flags: '--kill-after <duration>',
    description: 'with --max-hold: SIGKILL what is left this long after SIGTERM',
    defaultText: formatDefaultDuration(DEFAULTS.killAfterMs),
  },
  { flags: '-n, --nonblock', description: 'fail at once if the lock is busy (= --timeout 0)' },
  { flags: '-o, --close', description: 'do not pass the lock to the command (it is released only when dblock exits)' },
  { flags: '-c, --command <shell-command>', description: 'run this string through sh -c (instead of CMD ARGS…)' },
  {
    flags: '-E, --conflict-exit-code <n>',
    description: 'exit code when the lock is busy, the wait times out or the intent is refused',
    defaultText: String(EXIT.TEMPFAIL),
  },
  {
    flags: '--lost-grace <duration>',
    description: 'when the lock is lost (postgres, mkdir): SIGTERM the command, then SIGKILL after this long',
    defaultText: formatDefaultDuration(DEFAULTS.lostGraceMs),
  },
  ...TARGET_OPTIONS,
  {
    flags: '--writes <path>',
    description: 'declare a path CMD will write (repeatable; a directory covers everything below it)',
    repeatable: true,
  },
  {
    flags: '--policy <policy>',
    description: 'what to do when another task declared an overlapping path',
    choices: INTENT_POLICIES,
    defaultText: DEFAULTS.policy,
  },
  {
    flags: '--ttl <duration>',
    description: 'the intent lapses this long after admission even if CMD still runs',
    defaultText: 'none',
  },
  { flags: '--task-id <id>', description: 'name of this task in the registry', defaultText: 'generated' },
  ...REGISTRY_OPTIONS,
  {
    flags: '--scope-root <dir>',
    description: "the local directory that is the scope's root",
    defaultText: "$DBLOCK_SCOPE_ROOT, else the git checkout's top",
  },
];

/** What a flock(1) user needs to know; the README carries the same table. */
export const FROM_FLOCK = `
Coming from flock(1):
  the same      flock FILE CMD…, FILE -c "CMD", -s -x -n -o -w SECS (fractions too) -E N; the lock
                file is created if missing, and dblock and flock(1) exclude each other on it
  waiting       ${formatDefaultDuration(DEFAULTS.timeoutMs)} by default, not forever (-w inf or DBLOCK_TIMEOUT=inf waits forever)
  on conflict   exit ${EXIT.TEMPFAIL} (EX_TEMPFAIL), not 1, so a busy lock is not mistaken for a failed command
                (-E 1 gives flock's code); one line on stderr, nothing with -q -E N
  -c STRING     runs sh -c STRING (flock uses $SHELL)
  descriptors   every inherited one reaches CMD unchanged; the lock is on the lowest free one
                >= 3, named in DBLOCK_HELD
  not here      flock FD (a descriptor number), flock DIR, -u, -F: use dblock exec … -- CMD instead
`;
