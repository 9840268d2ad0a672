import { DblockError } from '../../errors.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import { parseDuration } from '../../options.js';
import type { ExecFlags } from './exec-options.js';

/** The fencing token of the lock held for CMD, and the lock it belongs to (postgres). */
const FENCE_ENV = 'DBLOCK_FENCE';
const FENCE_NAME_ENV = 'DBLOCK_FENCE_NAME';

/**
 * postgres: the fence for CMD to present to the resource (DBLOCK_FENCE, DBLOCK_FENCE_NAME), and the
 * server for nested dblock calls (a URL given by --url is not otherwise in CMD's environment).
 */
export function fenceEnv(flags: ExecFlags, held: LockHandle | undefined): NodeJS.ProcessEnv {
  if (flags.backend !== 'postgres' || held === undefined) return {};
  const env: NodeJS.ProcessEnv = {};
  if (held.fence !== undefined) {
    env[FENCE_ENV] = held.fence.toString();
    env[FENCE_NAME_ENV] = `postgres:${held.lockPath}`;
  }
  if (flags.url !== undefined) env.DBLOCK_POSTGRES_URL = flags.url;
  return env;
}

/** `--lost-grace`: how long CMD has between SIGTERM and SIGKILL once the lock is lost. */
export function lostGraceOf(flags: ExecFlags): number | undefined {
  if (flags.lostGrace === undefined) return undefined;
  const ms = parseDuration(flags.lostGrace, 'lost-grace', 'seconds');
  if (!Number.isFinite(ms)) {
    throw new DblockError('EUSAGE', `Expected \`lost-grace\` to be a finite duration such as 2s, got \`${flags.lostGrace}\``);
  }
  return ms;
}
