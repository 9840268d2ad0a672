import { DblockError } from '../../errors.js';
import type { ExecFlags } from './exec-options.js';

/** What `dblock exec` runs and under which flags, once flock(1)'s spellings are resolved. */
export interface ExecInvocation {
  readonly flags: ExecFlags;
  /** The program and its arguments (`sh -c STRING` for `-c`). */
  readonly file: string;
  readonly args: string[];
}

/**
 * flock(1)'s forms on top of dblock's own:
 * - `dblock exec FILE CMD…` and `dblock exec FILE -c STRING`: with no `--db`, `--lock` or `--writes`,
 *   the first argument is the lock file, exactly `--lock FILE` (a target flag means the arguments are
 *   the command, so `dblock exec --db app.db CMD…` keeps working);
 * - `-c STRING` runs `sh -c STRING`; `-n` is `--timeout 0`; `-x` is the default exclusive mode.
 */
export function resolveInvocation(given: ExecFlags, positional: readonly string[]): ExecInvocation {
  const flags: ExecFlags = { ...given };
  let rest = [...positional];
  const hasTarget = flags.db !== undefined || flags.lock !== undefined || (flags.writes?.length ?? 0) > 0;
  if (!hasTarget && rest.length > 0 && (rest.length > 1 || flags.command !== undefined)) {
    flags.lock = rest[0];
    rest = rest.slice(1);
    // `dblock exec FILE -- CMD`: the separator after FILE is not part of the command.
    if (rest[0] === '--') rest = rest.slice(1);
  }
  if (rest[0] === '-c' || rest[0] === '--command') {
    if (rest.length !== 2) throw new DblockError('EUSAGE', `${rest[0]} takes exactly one command string`);
    flags.command = rest[1];
    rest = [];
  }
  if (flags.shared && flags.exclusive) throw new DblockError('EUSAGE', 'give either --shared or --exclusive, not both');
  if (flags.nonblock) {
    if (flags.timeout !== undefined) throw new DblockError('EUSAGE', 'give either --nonblock or --timeout, not both');
    flags.timeout = '0';
  }
  if (flags.command !== undefined) {
    if (rest.length > 0) throw new DblockError('EUSAGE', '-c takes the whole command as one string: give no CMD after it');
    return { flags, file: 'sh', args: ['-c', flags.command] };
  }
  const [file, ...args] = rest;
  if (file === undefined) throw new DblockError('EUSAGE', 'exec needs a command to run (after --)');
  return { flags, file, args };
}
