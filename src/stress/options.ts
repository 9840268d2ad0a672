import type { BackendName } from '../backend/types.js';
import { DEFAULTS, STRESS_MODES } from '../defaults.js';
import { DblockError } from '../errors.js';
import { selectBackend } from '../lock/backends.js';
import { parseStale, resolveTimeoutMs } from '../options.js';
import { boundedWait } from '../util/bounded-wait.js';
import type { StressTimeline } from './timeline.js';

/**
 * How stress workers write. `serialized`: through dblock's sidecar lock. `wal`: SQLite's own locking
 * with dblock's busy retries. `unsafe`: a bare connection, no lock, busy timeout 0, no retries: what
 * an application without dblock sees (expect errors).
 */
export type StressMode = (typeof STRESS_MODES)[number];

/** The modes `dblock stress --mode` accepts. */
export { STRESS_MODES };

/** Options of `runStress()`. */
export interface StressOptions {
  /** The database; a fresh temporary one (removed afterwards unless `keep`) when not given. */
  db?: string | undefined;
  /** Worker processes. @default 8 */
  workers?: number | undefined;
  /** Transactions (or commands) per worker. @default 40 */
  ops?: number | undefined;
  /** @default 'serialized' */
  mode?: StressMode | undefined;
  /** Rows per transaction. @default 1 */
  txnRows?: number | undefined;
  /** Workers to SIGKILL inside a transaction (then restarted). @default 0 */
  kill?: number | undefined;
  /** Seed of the kill schedule. @default a random one (reported, to replay a run) */
  seed?: number | undefined;
  /** Keep the temporary database. @default false */
  keep?: boolean | undefined;
  /** Lock backend of the workers (and of `dblock exec` for a command). @default 'flock' */
  backend?: BackendName | undefined;
  /** Keep the sidecars in this directory instead of beside the database. */
  lockDir?: string | undefined;
  /**
   * mkdir backend: the stale period of the run's locks (at least 2 s). A SIGKILLed worker's lock stays
   * until it passes, so a run's default is short. @default '3s' with the mkdir backend
   */
  stale?: number | string | undefined;
  /** postgres backend: the lock server's URL. @default DBLOCK_POSTGRES_URL, else the PG* variables */
  url?: string | undefined;
  /** Run this command per operation under `dblock exec`, instead of the built-in workload. */
  command?: readonly string[] | undefined;
  /** Called as operations finish (for a progress display). */
  onProgress?: ((progress: StressProgress) => void) | undefined;
  /** Called once the database is chosen (before anything is written), with its canonical path. */
  onTarget?: ((db: string) => void) | undefined;
  /** Called once, when every worker is ready and writing starts. */
  onStart?: ((start: StressStart) => void) | undefined;
  /** Called once the writing is done (before verifying), with when each operation waited, held and ended. */
  onTimeline?: ((timeline: StressTimeline) => void) | undefined;
  /** Stop the run: workers are killed, a temporary database is removed, and `runStress` rejects with `EABORTED`. */
  signal?: AbortSignal | undefined;
}

/** What a run is about to write. */
export interface StressStart {
  /** The canonical path of the database (or the command's target). */
  readonly db: string;
  readonly workers: number;
}

/** Where a run stands. */
export interface StressProgress {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  readonly kills: number;
}

/** The lock options every process of a run shares. */
export interface StressLock {
  readonly backend?: BackendName | undefined;
  readonly lockDir?: string | undefined;
  /** mkdir backend: the stale period, in milliseconds. */
  readonly stale?: number | undefined;
  readonly url?: string | undefined;
}

/** Options with defaults applied and values checked. */
export interface ResolvedStressOptions {
  readonly db: string | undefined;
  readonly workers: number;
  readonly ops: number;
  readonly mode: StressMode;
  readonly txnRows: number;
  readonly kill: number;
  readonly seed: number;
  readonly keep: boolean;
  /** How every process of the run finds the lock: backend, sidecar directory, stale period. */
  readonly lock: StressLock;
  /** How long a worker's write may wait for the lock (room for every kill's stale lock, see workerWaitMs). */
  readonly lockTimeoutMs: number;
  readonly command: readonly string[] | undefined;
  readonly onProgress: (progress: StressProgress) => void;
  readonly onTarget: (db: string) => void;
  readonly onStart: (start: StressStart) => void;
  readonly onTimeline: (timeline: StressTimeline) => void;
  readonly signal: AbortSignal | undefined;
}

/** Apply defaults and validate, with messages naming the option and the bad value. */
export function resolveStressOptions(options: StressOptions): ResolvedStressOptions {
  const workers = atLeast('workers', options.workers ?? DEFAULTS.stressWorkers, 1);
  const ops = atLeast('ops', options.ops ?? DEFAULTS.stressOps, 1);
  const mode = options.mode ?? DEFAULTS.stressMode;
  if (!STRESS_MODES.includes(mode)) {
    throw new DblockError('EUSAGE', `Expected \`mode\` to be one of ${STRESS_MODES.join(', ')}, got \`${String(mode)}\``);
  }
  const kill = atLeast('kill', options.kill ?? 0, 0);
  if (kill > workers) throw new DblockError('EUSAGE', `Expected \`kill\` to be at most the ${workers} workers, got \`${kill}\``);
  const command = options.command !== undefined && options.command.length > 0 ? options.command : undefined;
  if (command !== undefined) refuseWithCommand(options, mode);
  const lock = stressLock(options);
  return {
    db: options.db,
    workers,
    ops,
    mode,
    txnRows: atLeast('txnRows', options.txnRows ?? DEFAULTS.stressTxnRows, 1),
    kill,
    seed: options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : atLeast('seed', options.seed, 0),
    keep: options.keep === true,
    lock,
    lockTimeoutMs: workerWaitMs(lock, kill),
    command,
    onProgress: options.onProgress ?? (() => {}),
    onTarget: options.onTarget ?? (() => {}),
    onStart: options.onStart ?? (() => {}),
    onTimeline: options.onTimeline ?? (() => {}),
    signal: options.signal,
  };
}

/** The run's lock options; only the mkdir backend has a stale period. */
function stressLock(options: StressOptions): StressLock {
  const backend = selectBackend(options.backend).name;
  if (backend !== 'mkdir') {
    if (options.stale !== undefined) throw new DblockError('EUSAGE', '--stale needs --backend mkdir');
    return { backend, lockDir: options.lockDir, url: options.url };
  }
  return { backend, lockDir: options.lockDir, stale: parseStale(options.stale ?? DEFAULTS.stressStaleMs) };
}

/**
 * A lock's wait in a run: the usual timeout, plus, with the mkdir backend, room for every planned
 * kill: a SIGKILLed worker's lock is only taken over once stale, and one unlucky waiter may queue
 * behind all of them. Each is free at most one stale period after the kill; twice that leaves room
 * for a loaded machine.
 * flock's kernel frees a killed worker's lock at once, so its waits stay as they are.
 */
function workerWaitMs(lock: StressLock, kills: number): number {
  const base = resolveTimeoutMs(undefined);
  return lock.stale === undefined ? base : base + kills * 2 * lock.stale;
}

/** The user's command brings its own writes: options of the built-in workload make no sense with it. */
function refuseWithCommand(options: StressOptions, mode: StressMode): void {
  if (mode === 'wal')
    throw new DblockError(
      'EUSAGE',
      '--mode wal needs the built-in workload (a command runs under dblock exec, or bare with --mode unsafe)',
    );
  if ((options.kill ?? 0) > 0) throw new DblockError('EUSAGE', '--kill needs the built-in workload, not a command');
  if (options.txnRows !== undefined) throw new DblockError('EUSAGE', '--txn-rows needs the built-in workload, not a command');
}

/** Throw `EABORTED` if the run was stopped. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DblockError('EABORTED', `stress run stopped (${String(signal.reason ?? 'aborted')})`);
}

/** Resolves when `signal` aborts (never without one); `off()` stops listening (and resolves nothing). */
export function whenStopped(signal: AbortSignal | undefined): { stopped: Promise<void>; off: () => void } {
  let off = (): void => {};
  const ended = boundedWait(Number.POSITIVE_INFINITY, signal, (wake) => {
    off = wake;
  });
  // Only an abort resolves `stopped`: off() ends the wait (listener gone) but leaves `stopped` pending.
  const stopped = ended.then((outcome) => (outcome === 'aborted' ? undefined : new Promise<void>(() => {})));
  return { stopped, off: () => off() };
}

function atLeast(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DblockError('EUSAGE', `Expected \`${name}\` to be an integer ≥ ${min}, got \`${String(value)}\``);
  }
  return value;
}
