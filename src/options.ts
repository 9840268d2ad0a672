import ms from 'ms';
import { DEFAULTS } from './defaults.js';
import { DblockError } from './errors.js';

/** Default wait for any lock: 30 seconds. */
export const DEFAULT_TIMEOUT_MS: number = DEFAULTS.timeoutMs;

/**
 * How a string without a unit is read. `refuse` (the library): `'1'` could mean 1 ms (as a number
 * does) or 1 s (as on the command line), so it is refused with the fix. `seconds` (the command line,
 * `DBLOCK_TIMEOUT`): seconds, like flock(1) `-w`.
 */
export type BareNumber = 'refuse' | 'seconds';

/**
 * Parse a duration. A number is milliseconds. A string carries a unit: `250ms`, `5s`, `2m`; `0` means
 * try once and `inf` waits forever. A string without a unit is refused (`'1' is ambiguous: write '1s'
 * or 1000`), unless `bare` is `seconds` (the command line, like flock(1) `-w 1`).
 * @throws DblockError EUSAGE with a message naming the option and the bad value.
 * @example parseDuration('250ms') // 250; parseDuration(250) // 250; parseDuration('5', 'timeout', 'seconds') // 5000
 */
export function parseDuration(value: string | number, name = 'timeout', bare: BareNumber = 'refuse'): number {
  if (typeof value === 'number') {
    if (Number.isNaN(value) || value < 0) throw badDuration(name, String(value));
    return value;
  }
  const text = value.trim().toLowerCase();
  if (text === 'inf' || text === 'infinity' || text === 'forever') return Number.POSITIVE_INFINITY;
  if (/^(\d+\.?\d*|\.\d+)$/.test(text)) {
    const n = Number(text);
    // 0 is try-once in any unit.
    if (n === 0) return 0;
    if (bare === 'seconds') return Math.round(n * 1000);
    throw new DblockError(
      'EUSAGE',
      `Expected \`${name}\` to carry a unit: '${value}' is ambiguous: write '${text}s' or ${Math.round(n * 1000)}`,
    );
  }
  const parsed = text === '' ? undefined : ms(text as ms.StringValue);
  if (parsed === undefined || Number.isNaN(parsed) || parsed < 0) throw badDuration(name, value);
  return parsed;
}

/**
 * A duration flag of the command line (`-w 5`, `--stale 10`): a bare number is seconds, like flock(1).
 * Returns milliseconds, for the library's options; undefined when the flag was not given.
 */
export function parseCliDuration(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, name, 'seconds');
}

function badDuration(name: string, value: string): DblockError {
  return new DblockError('EUSAGE', `Expected \`${name}\` to be a duration such as 5s, 250ms, 2m, 0 or inf, got \`${value}\``);
}

/**
 * The lock timeout in force: the option (a number is milliseconds, a string needs a unit), else
 * `DBLOCK_TIMEOUT` (a bare number is seconds there, as on the command line), else 30 s.
 */
export function resolveTimeoutMs(option: string | number | undefined, env?: NodeJS.ProcessEnv): number {
  if (typeof option === 'number' && option >= 0) return option;
  if (option !== undefined) return parseDuration(option, 'timeout');
  if (env !== undefined) return timeoutFromEnv(env);
  // Reading process.env costs more than an uncontended acquire: read it once per process.
  envTimeout ??= timeoutFromEnv(process.env);
  return envTimeout;
}

let envTimeout: number | undefined;

function timeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const fromEnv = env.DBLOCK_TIMEOUT;
  if (fromEnv !== undefined && fromEnv !== '') return parseDuration(fromEnv, 'DBLOCK_TIMEOUT', 'seconds');
  return DEFAULT_TIMEOUT_MS;
}

/**
 * Refuse option keys a function does not know: a misspelt `timout` would otherwise be ignored in silence.
 * @throws DblockError EUSAGE naming the key and the known ones
 */
export function assertKnownOptions(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new DblockError('EUSAGE', `Unknown option \`${key}\` for ${where}; expected one of ${known.join(', ')}`);
    }
  }
}

/** mkdir backend: a lock whose heartbeat stopped this long ago is abandoned (proper-lockfile's default). */
export const DEFAULT_STALE_MS: number = DEFAULTS.staleMs;
/** proper-lockfile's floor: its heartbeat runs every stale/2 and never more than once a second. */
export const MIN_STALE_MS = 2_000;

/**
 * Parse the mkdir backend's stale period (`--stale D`, option `stale`): a duration of at least 2s.
 * @throws DblockError EUSAGE for anything else (`inf` included: a crashed holder must be recoverable).
 */
export function parseStale(value: string | number, bare: BareNumber = 'refuse'): number {
  const staleMs = parseDuration(value, 'stale', bare);
  if (!Number.isFinite(staleMs) || staleMs < MIN_STALE_MS) {
    throw new DblockError('EUSAGE', `Expected \`stale\` to be a duration of at least 2s such as 10s or 1m, got \`${value}\``);
  }
  return staleMs;
}

/** Parse a non-negative integer flag, e.g. `--workers 8`. */
export function parseCount(value: string, name: string, min = 0): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new DblockError('EUSAGE', `Expected \`${name}\` to be an integer ≥ ${min}, got \`${value}\``);
  }
  return n;
}

/**
 * Check that `value` is one of `allowed` (the lists live in defaults.ts).
 * @throws DblockError EUSAGE: "Expected `mode` to be one of passive, truncate, got `x`"
 */
export function parseChoice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DblockError('EUSAGE', `Expected \`${name}\` to be one of ${allowed.join(', ')}, got \`${String(value)}\``);
  }
  return value as T;
}
