import { promises as fsp, readdirSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Lockfile from 'proper-lockfile';
import { DblockError, fromSystemError } from '../errors.js';
import { forgetLockDir, HOLDER_FILE, type LockDirState, lockDirFs, releaseLockDir } from './lock-dir-fs.js';
import { PollSchedule, sleep } from './poll-schedule.js';
import type { LockMode, LockResource, WaitControl } from './types.js';

let lockfileModule: typeof Lockfile | undefined;

// Loaded on first use: proper-lockfile installs exit and signal hooks that flock users need not carry.
function lockfile(): typeof Lockfile {
  lockfileModule ??= createRequire(import.meta.url)('proper-lockfile') as typeof Lockfile;
  return lockfileModule;
}

/** Suffix of the "next in line" lock a waiter takes (see MkdirResource). */
export const NEXT_SUFFIX = '.next';
/** The waiter next in line polls this often at most; the others back off to POLL_CAP_MS. */
const NEXT_POLL_CAP_MS = 4;

/**
 * A proper-lockfile lock: an atomic mkdir of the lock path, kept fresh by a heartbeat (mtime updated
 * every stale/2) and taken over by others once it is older than `staleMs`. Waits poll on our own
 * schedule; a lost lock is reported through `onCompromised`, never thrown from a timer.
 *
 * Polling alone lets a releaser barge back in before any sleeping waiter looks. So the first waiter
 * takes a second lock, `<lock>.next`, and polls fast; a new try (a releaser coming back included)
 * that sees `.next` joins the waiters instead. `.next` is only a hint: the other waiters still poll
 * the lock itself, slower, so a dead waiter's `.next` can slow hand-off but never stall it.
 */
export class MkdirResource implements LockResource {
  readonly path: string;
  onCompromised: ((error: DblockError) => void) | undefined;
  readonly #staleMs: number;
  readonly #dir: LockDirState = { holderFd: undefined };
  /** One adapter for the resource's life: proper-lockfile caches the mtime precision on it. */
  readonly #fs: ReturnType<typeof lockDirFs>;
  #held = false;
  /** Tells a late heartbeat of an earlier acquisition apart from the current one. */
  #generation = 0;
  readonly #next: MkdirResource | undefined;

  constructor(path: string, staleMs: number, queue = true) {
    this.path = path;
    this.#staleMs = staleMs;
    this.#fs = lockDirFs(staleMs, this.#dir);
    this.#next = queue ? new MkdirResource(path + NEXT_SUFFIX, staleMs, false) : undefined;
  }

  /** The open holder file: a child that inherits it lets a nested dblock verify this acquisition. */
  get fd(): number | undefined {
    return this.#held ? this.#dir.holderFd : undefined;
  }

  async tryAcquire(mode: LockMode): Promise<boolean> {
    if (mode === 'shared') throw new DblockError('EUSAGE', 'the mkdir backend has no shared mode');
    if (this.#next !== undefined && (await exists(this.#next.path))) return false; // a waiter is next in line
    return this.#take();
  }

  async #take(): Promise<boolean> {
    if (this.#held) return false;
    const generation = ++this.#generation;
    try {
      await lockfile().lock(this.path, {
        lockfilePath: this.path,
        realpath: false, // the engine hands us canonical paths
        stale: this.#staleMs,
        retries: 0, // we poll ourselves: proper-lockfile's retries start at 1 s
        fs: this.#fs,
        onCompromised: (err) => this.#lost(err, generation),
      });
    } catch (err) {
      // proper-lockfile failed after our mkdir (its mtime probe): the directory is ours to remove.
      releaseLockDir(this.path, this.#dir);
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      refuseForeignDirectory(this.path); // a stale takeover's rmdir found files: not a lock directory
      throw fromSystemError(err, `cannot take lock ${this.path}`, 'ESIDECAR');
    }
    this.#held = true;
    return true;
  }

  async acquire(_mode: LockMode, wait: WaitControl): Promise<boolean> {
    const next = this.#next;
    let schedule = new PollSchedule();
    let first = false;
    refuseForeignDirectory(this.path); // waiting for somebody's own directory to go would only time out
    try {
      for (;;) {
        const remaining = wait.deadline - performance.now();
        if (remaining <= 0 || wait.signal?.aborted) return false;
        if (!(await sleep(Math.min(schedule.next(), remaining), wait.signal))) return false;
        if (!first && next !== undefined && (await next.#take())) {
          first = true;
          schedule = new PollSchedule(NEXT_POLL_CAP_MS);
        }
        if (await this.#take()) {
          if (!wait.signal?.aborted) return true;
          this.release(); // the caller gave up while the last try was in flight
          return false;
        }
      }
    } finally {
      if (first) next?.release();
    }
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    try {
      lockfile().unlockSync(this.path, { lockfilePath: this.path, realpath: false, fs: this.#fs });
    } catch {
      // ENOTACQUIRED: proper-lockfile already let go (compromised in the same tick).
    }
    forgetLockDir(this.#dir);
  }

  /** Nothing stays open between acquisitions: the lock is a directory, its holder file is closed on release. */
  close(): void {
    this.release();
  }

  writeRecord(record: Buffer): void {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      writeSync(fd, record, 0, record.length, 0);
    } catch {
      // The record is advisory; the lock itself is the directory, already held.
    }
  }

  #lost(err: Error, generation: number): void {
    // A heartbeat still in flight when we released reports the removal it did not expect: not a loss.
    if (!this.#held || generation !== this.#generation) return;
    this.#held = false;
    forgetLockDir(this.#dir);
    this.onCompromised?.(
      new DblockError(
        'ECOMPROMISED',
        `lost the lock ${this.path}: ${err.message} (the heartbeat failed or the lock was taken over as stale); work done since was not protected`,
        { cause: err },
      ),
    );
  }
}

/** Refuse a directory at the lock path holding anything but a holder record: the user's, never a lock. */
function refuseForeignDirectory(path: string): void {
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return; // gone, or not a directory: the next try says what it is
  }
  if (entries.some((name) => name !== HOLDER_FILE)) {
    throw new DblockError(
      'EBADTARGET',
      `cannot lock ${path}: it is a directory with files of its own, not a mkdir lock; give a path dblock can own`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return fsp.lstat(path).then(
    () => true,
    () => false,
  );
}
