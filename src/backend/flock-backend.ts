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

/**
 * flock(2) on a sidecar file, with a turnstile for fairness.
 *
 * flock(2) alone lets a releaser barge straight back in: the kernel wakes the waiter, but the
 * releaser's next try runs before the waiter is scheduled. So every acquirer first passes a
 * turnstile, a second file `<lock>.turn`: it takes the turnstile, then the lock, then lets the
 * turnstile go. A waiter holds the turnstile while it sleeps on the lock, so a releaser that comes
 * straight back finds the door taken and queues behind it; the waiter itself is still woken by the
 * kernel the instant the lock is released. Uncontended, the turnstile is two non-blocking calls.
 * Plain flock(1) users take only the lock file: they stay excluded, they just skip the queue.
 */
class FlockResource implements LockResource {
  readonly path: string;
  readonly fd: number;
  readonly #writable: boolean;
  readonly #turnFd: number | undefined;
  #mode: LockMode | undefined;
  /** A blocking flock still running on the threadpool after its waiter gave up. */
  #inflight: Promise<void> | undefined;

  constructor(path: string) {
    this.path = path;
    const main = openSidecarFile(path, INITIAL_CONTENT);
    this.fd = main.fd;
    this.#writable = main.writable;
    this.#turnFd = openTurnstile(path + TURNSTILE_SUFFIX);
  }

  tryAcquire(mode: LockMode): boolean {
    if (this.#inflight !== undefined) return false;
    const turn = this.#turnFd;
    if (turn !== undefined && !tryFlock(turn, 'exnb')) return false; // someone is waiting at the door
    try {
      const ok = tryFlock(this.fd, mode === 'shared' ? 'shnb' : 'exnb');
      if (ok) this.#mode = mode;
      return ok;
    } finally {
      if (turn !== undefined) unlock(turn);
    }
  }

  async acquire(mode: LockMode, wait: WaitControl): Promise<boolean> {
    if (this.#inflight !== undefined && !(await this.#settle(this.#inflight, wait))) return false;
    const turn = this.#turnFd;
    if (turn !== undefined && !(await this.#wait(turn, 'ex', wait))) return false;
    try {
      const ok = await this.#wait(this.fd, mode === 'shared' ? 'sh' : 'ex', wait);
      if (ok) this.#mode = mode;
      return ok;
    } finally {
      if (turn !== undefined) unlock(turn);
    }
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

  /**
   * One blocking flock on the threadpool, abandoned (not cancelled: the kernel cannot be asked)
   * when the deadline or signal comes first. An abandoned wait that later succeeds unlocks at once,
   * so a timed-out waiter never ends up holding the lock.
   */
  #wait(fd: number, op: FlockOp, wait: WaitControl): Promise<boolean> {
    if (wait.signal?.aborted || performance.now() >= wait.deadline) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        wait.signal?.removeEventListener('abort', giveUp);
      };
      const giveUp = (): void => {
        if (settled) return;
        finish();
        resolve(false);
      };
      const remaining = wait.deadline - performance.now();
      const timer = Number.isFinite(remaining) ? setTimeout(giveUp, Math.max(0, remaining)) : undefined;
      wait.signal?.addEventListener('abort', giveUp, { once: true });
      const flight = blockingFlock(fd, op).then((err) => {
        if (this.#inflight === inflight) this.#inflight = undefined;
        if (settled) {
          if (err === undefined) unlock(fd); // the waiter left: let go at once
          return;
        }
        finish();
        if (err === undefined) resolve(true);
        else reject(fromSystemError(err, `flock ${this.path}`));
      });
      const inflight = flight.then(() => undefined);
      this.#inflight = inflight;
    });
  }

  /** Wait for an abandoned flock to come back before starting another on the same file. */
  async #settle(inflight: Promise<void>, wait: WaitControl): Promise<boolean> {
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      if (Number.isFinite(remaining)) timer = setTimeout(() => resolve(false), remaining);
      wait.signal?.addEventListener('abort', () => resolve(false), { once: true });
    });
    const ok = await Promise.race([inflight.then(() => true as const), expired]);
    if (timer !== undefined) clearTimeout(timer);
    return ok;
  }
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
  canBeCompromised: false,

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
