import { closeSync, writeSync } from 'node:fs';
import { ChangeSignal } from './change-signal.js';
import { proveExclusion } from './exclusion-check.js';
import { FIRST_POLL_MS, INITIAL_CONTENT, MAX_POLL_MS, NOTICE, STARVATION_MS } from './flock-backend.js';
import { tryFlock, unlock } from './flock-calls.js';
import { openOptionalSidecar, openSidecarFile } from './sidecar-file.js';
import type { WaitControl } from './types.js';

/** Slot k of a lock is the file `<lock>.slot-<k>`. */
export const SLOT_INFIX = '.slot-';
/** The door (and release notices) of a lock's slots. */
const SLOT_DOOR_SUFFIX = '.slots.turn';
/** A door holder that does not move (stopped) is stepped past after this long. */
const DOOR_PATIENCE_MS = 250;

/** The file of slot `k` of `lockPath`. */
export function slotPath(lockPath: string, k: number): string {
  return `${lockPath}${SLOT_INFIX}${k}`;
}

/**
 * N interchangeable exclusive locks (`--slots N`): a holder takes any free one, each an flock(2) on a
 * file of its own, so a crashed holder's slot frees at once. Waiting works like a single lock's: no
 * blocking in the kernel, woken by a release notice on the slots' door file, and a waiter that has
 * waited STARVATION_MS shuts the door so newcomers queue behind it. Every user of a target must agree
 * on N (a process asking for more slots would use files the others do not).
 */
export class FlockSlots {
  readonly lockPath: string;
  readonly count: number;
  readonly #fds: number[] = [];
  readonly #writable: boolean[] = [];
  /** Slots this process holds: flock on an open file description it already locked would just succeed. */
  readonly #taken: boolean[];
  readonly #door: number | undefined;
  #changes: ChangeSignal | undefined;
  #next = 0;

  constructor(lockPath: string, count: number) {
    this.lockPath = lockPath;
    this.count = count;
    this.#taken = new Array<boolean>(count).fill(false);
    try {
      for (let k = 0; k < count; k++) {
        const file = openSidecarFile(slotPath(lockPath, k), INITIAL_CONTENT);
        this.#fds.push(file.fd);
        this.#writable.push(file.writable);
      }
      proveExclusion(slotPath(lockPath, 0), this.#fds[0] as number);
    } catch (err) {
      for (const fd of this.#fds) closeSync(fd);
      throw err;
    }
    this.#door = openOptionalSidecar(lockPath + SLOT_DOOR_SUFFIX, INITIAL_CONTENT);
  }

  /** The descriptor holding slot `k` (for a child to inherit). */
  fdOf(k: number): number {
    return this.#fds[k] as number;
  }

  /** Take a free slot now, unless a starving waiter holds the door. */
  tryAcquire(): number | undefined {
    const door = this.#door;
    if (door !== undefined && !tryFlock(door, 'exnb')) return undefined;
    try {
      return this.#tryAny();
    } finally {
      if (door !== undefined) unlock(door);
    }
  }

  /** Wait for a slot without blocking the event loop; undefined at the deadline or on abort. */
  async acquire(wait: WaitControl): Promise<number | undefined> {
    const started = performance.now();
    this.#changes ??= new ChangeSignal(this.lockPath + SLOT_DOOR_SUFFIX);
    const changes = this.#changes;
    changes.reset();
    let doorHeld = false;
    try {
      for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
        if (wait.signal?.aborted) return undefined;
        const now = performance.now();
        // Past the door when holding it, when it stayed shut too long (a stopped holder), or on a last try.
        const pastDoor = doorHeld || now - started >= DOOR_PATIENCE_MS || now >= wait.deadline;
        const got = pastDoor ? this.#tryAny() : this.tryAcquire();
        if (got !== undefined) return got;
        if (!doorHeld && this.#door !== undefined && now - started >= STARVATION_MS) doorHeld = tryFlock(this.#door, 'exnb');
        if (now >= wait.deadline) return undefined;
        await changes.next(Math.min(delay * (0.5 + Math.random()), wait.deadline - now), wait.signal);
      }
    } finally {
      if (doorHeld && this.#door !== undefined) {
        unlock(this.#door);
        this.#announce();
      }
    }
  }

  release(k: number): void {
    if (!this.#taken[k]) return;
    this.#taken[k] = false;
    unlock(this.#fds[k] as number);
    this.#announce();
  }

  /** Write the holder record into slot `k`'s file (dblock's own; skipped when read-only). */
  writeRecord(k: number, record: Buffer): void {
    if (this.#writable[k]) writeSync(this.#fds[k] as number, record, 0, record.length, 0);
  }

  #tryAny(): number | undefined {
    for (let i = 0; i < this.count; i++) {
      const k = (this.#next + i) % this.count;
      if (this.#taken[k] || !tryFlock(this.#fds[k] as number, 'exnb')) continue;
      this.#taken[k] = true;
      this.#next = k + 1; // rotate, so slots wear evenly and a probe finds a free one sooner
      return k;
    }
    return undefined;
  }

  #announce(): void {
    if (this.#door === undefined) return;
    try {
      writeSync(this.#door, NOTICE, 0, NOTICE.length, 0);
    } catch {
      // waiters also poll
    }
  }
}
