import { closeSync, fstatSync, readSync, statSync, writeSync } from 'node:fs';
import fsExt from 'fs-ext';
import { fromSystemError } from '../errors.js';
import { openSidecarFile, openSidecarForProbe } from './sidecar-file.js';
import type { LockBackend, LockMode, LockResource, ProbeState, WaitControl } from './types.js';

type FlockOp = 'sh' | 'ex' | 'shnb' | 'exnb' | 'un';

const RECORD_READ_MAX = 4096;
const INITIAL_CONTENT = Buffer.from('\n');

/** Suffix of the turnstile file that orders waiters at the door (see FlockResource). */
export const TURNSTILE_SUFFIX = '.turn';

function tryFlock(fd: number, op: FlockOp): boolean {
  try {
    fsExt.flockSync(fd, op);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw fromSystemError(err, 'flock');
  }
}

function unlock(fd: number): void {
  fsExt.flockSync(fd, 'un');
}

function blockingFlock(fd: number, op: FlockOp): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const attempt = (): void =>
      fsExt.flock(fd, op, (err) => {
        // A signal delivered to the worker thread interrupts the wait: wait again.
        if (err && (err as NodeJS.ErrnoException).code === 'EINTR') attempt();
        else resolve(err ?? undefined);
      });
    attempt();
  });
}

/** How long a waiter waits politely before it shuts the door on barging re-acquirers. */
export const STARVATION_MS = 2;

/** A blocking flock running on the threadpool that its waiter may abandon. */
interface Flight {
  /** Resolves true when granted, false when abandoned first; rejects on a system error. */
  readonly granted: Promise<boolean>;
  /** Stop waiting: a grant that arrives later is given straight back. */
  abandon(): void;
}

/**
 * flock(2) on a sidecar file, with a door for fairness (Go's sync.Mutex starvation mode, across
 * processes).
 *
 * flock(2) alone lets a releaser barge straight back in: the kernel wakes a waiter, but the
 * releaser's next try runs before the waiter is scheduled, so one process can keep the lock for
 * its whole time slice. Barging is also what makes a tight loop fast, so it stays allowed — until
 * a waiter has waited STARVATION_MS. Then that waiter takes the door, a second file
 * `<lock>.turn`, and keeps it while it sleeps on the lock. Every acquirer's first step is a
 * non-blocking try of the door, so a releaser coming straight back finds it shut and queues behind
 * it, while the starving waiter is still woken by the kernel the instant the lock is released.
 * Once it holds the lock it opens the door again. Uncontended, the door costs two syscalls.
 * Plain flock(1) users take only the lock file: they stay excluded, they just skip the queue.
 */
class FlockResource implements LockResource {
  readonly path: string;
  readonly fd: number;
  readonly #writable: boolean;
  readonly #turnFd: number | undefined;
  #mode: LockMode | undefined;
  /** Blocking flocks still running on the threadpool after their waiter gave up on them. */
  readonly #abandoned = new Set<Promise<unknown>>();

  constructor(path: string) {
    this.path = path;
    const main = openSidecarFile(path, INITIAL_CONTENT);
    this.fd = main.fd;
    this.#writable = main.writable;
    this.#turnFd = openTurnstile(path + TURNSTILE_SUFFIX);
  }

  tryAcquire(mode: LockMode): boolean {
    if (this.#abandoned.size > 0) return false;
    const turn = this.#turnFd;
    if (turn !== undefined && !tryFlock(turn, 'exnb')) return false; // a starving waiter holds the door
    try {
      const ok = tryFlock(this.fd, mode === 'shared' ? 'shnb' : 'exnb');
      if (ok) this.#mode = mode;
      return ok;
    } finally {
      if (turn !== undefined) unlock(turn);
    }
  }

  async acquire(mode: LockMode, wait: WaitControl): Promise<boolean> {
    // Nothing to wait for (try-once, or already expired): start no blocking call that would outlive us.
    if (wait.signal?.aborted || performance.now() >= wait.deadline) return false;
    if (!(await this.#settleAbandoned(wait))) return false;
    const op: FlockOp = mode === 'shared' ? 'sh' : 'ex';
    const turn = this.#turnFd;
    const doorShut = turn !== undefined && !tryFlock(turn, 'exnb');
    if (turn !== undefined && !doorShut) unlock(turn);
    const ok = doorShut ? await this.#queueAtDoor(turn as number, op, wait) : await this.#waitPolitely(op, wait);
    if (ok) this.#mode = mode;
    return ok;
  }

  release(): void {
    if (this.#mode === undefined) return;
    this.#mode = undefined;
    unlock(this.fd);
  }

  writeRecord(record: Buffer): void {
    if (!this.#writable) return;
    writeSync(this.fd, record, 0, record.length, 0);
  }

  /** Someone is starving: queue for the door, then wait for the lock holding it. */
  async #queueAtDoor(turn: number, op: FlockOp, wait: WaitControl): Promise<boolean> {
    if (!(await this.#await(this.#fly(turn, 'ex'), wait))) return false;
    try {
      return await this.#await(this.#fly(this.fd, op), wait);
    } finally {
      unlock(turn);
    }
  }

  /** Wait on the lock itself; after STARVATION_MS also go for the door, and shut it if we get there first. */
  async #waitPolitely(op: FlockOp, wait: WaitControl): Promise<boolean> {
    const onLock = this.#fly(this.fd, op);
    const patience = { deadline: Math.min(wait.deadline, performance.now() + STARVATION_MS), signal: wait.signal };
    if (await this.#await(onLock, patience, false)) return true;
    const turn = this.#turnFd;
    if (turn === undefined) return this.#await(onLock, wait);
    const atDoor = this.#fly(turn, 'ex');
    const expired = expiry(wait);
    try {
      const first = await Promise.race([
        onLock.granted.then(() => 'lock' as const),
        atDoor.granted.then(() => 'door' as const),
        expired.promise.then(() => 'expired' as const),
      ]);
      if (first === 'lock') {
        atDoor.abandon();
        return true;
      }
      if (first === 'expired') {
        onLock.abandon();
        atDoor.abandon();
        return false;
      }
    } catch (err) {
      onLock.abandon();
      atDoor.abandon();
      throw err;
    } finally {
      expired.cancel();
    }
    try {
      return await this.#await(onLock, wait);
    } finally {
      unlock(turn);
    }
  }

  /**
   * Start one blocking flock on the threadpool. It cannot be cancelled (the kernel cannot be
   * asked), only abandoned: a grant that arrives after that is unlocked at once, so a waiter that
   * gave up never ends up holding the lock.
   */
  #fly(fd: number, op: FlockOp): Flight {
    let state: 'pending' | 'granted' | 'abandoned' = 'pending';
    let settle: (granted: boolean) => void = () => {};
    let fail: (err: unknown) => void = () => {};
    const granted = new Promise<boolean>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    const landed: Promise<void> = blockingFlock(fd, op).then((err) => {
      this.#abandoned.delete(landed);
      if (state === 'abandoned') {
        if (err === undefined) unlock(fd); // the waiter left: let go at once
      } else if (err === undefined) {
        state = 'granted';
        settle(true);
      } else {
        fail(fromSystemError(err, `flock ${this.path}`));
      }
    });
    return {
      granted,
      abandon: () => {
        if (state === 'granted')
          unlock(fd); // granted but never taken up
        else if (state === 'pending') this.#abandoned.add(landed);
        state = 'abandoned';
        settle(false);
      },
    };
  }

  /** Await a flight until the deadline or signal; then abandon it (unless `abandonOnExpiry` is false). */
  async #await(flight: Flight, wait: WaitControl, abandonOnExpiry = true): Promise<boolean> {
    const expired = expiry(wait);
    try {
      const ok = await Promise.race([flight.granted, expired.promise]);
      if (!ok && abandonOnExpiry) flight.abandon();
      return ok;
    } catch (err) {
      flight.abandon();
      throw err;
    } finally {
      expired.cancel();
    }
  }

  /** Wait for abandoned flocks to come back before starting others on the same files. */
  async #settleAbandoned(wait: WaitControl): Promise<boolean> {
    if (this.#abandoned.size === 0) return true;
    const expired = expiry(wait);
    try {
      return await Promise.race([Promise.all(this.#abandoned).then(() => true), expired.promise]);
    } finally {
      expired.cancel();
    }
  }
}

/** A promise that resolves false at the deadline or when the signal aborts. */
function expiry(wait: WaitControl): { promise: Promise<false>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<false>((resolve) => {
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0 || wait.signal?.aborted) {
      resolve(false);
      return;
    }
    if (Number.isFinite(remaining)) timer = setTimeout(() => resolve(false), remaining);
    onAbort = () => resolve(false);
    wait.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    cancel: () => {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) wait.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function openTurnstile(path: string): number | undefined {
  try {
    return openSidecarFile(path, INITIAL_CONTENT).fd;
  } catch {
    // No turnstile (e.g. a read-only directory that has only the lock file): exclusion is intact,
    // only arrival order is weaker.
    return undefined;
  }
}

/** The default backend: flock(2) through fs-ext, released by the kernel the moment a holder dies. */
export const flockBackend: LockBackend = {
  name: 'flock',
  supportsShared: true,

  open(lockPath: string): LockResource {
    return new FlockResource(lockPath);
  },

  probe(lockPath: string): ProbeState {
    const fd = openSidecarForProbe(lockPath);
    if (fd === undefined) return 'absent';
    try {
      if (tryFlock(fd, 'exnb')) {
        unlock(fd);
        return 'free';
      }
      if (tryFlock(fd, 'shnb')) {
        unlock(fd);
        return 'shared';
      }
      return 'exclusive';
    } finally {
      closeSync(fd);
    }
  },

  readRecord(lockPath: string): Buffer | undefined {
    let fd: number | undefined;
    try {
      fd = openSidecarForProbe(lockPath);
      if (fd === undefined) return undefined;
      const buf = Buffer.alloc(RECORD_READ_MAX);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },

  verifyInherited(fd: number, lockPath: string, mode: LockMode): boolean {
    try {
      const held = fstatSync(fd);
      const named = statSync(lockPath);
      if (held.dev !== named.dev || held.ino !== named.ino) return false;
      // Same open file description as the ancestor's: succeeds only if it holds the lock (or nobody does).
      return tryFlock(fd, mode === 'shared' ? 'shnb' : 'exnb');
    } catch {
      return false;
    }
  },
};
