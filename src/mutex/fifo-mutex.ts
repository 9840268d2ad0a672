/** Shared or exclusive (the same words as the lock backends, kept separate so layers stay apart). */
export type MutexMode = 'shared' | 'exclusive';

interface Waiter {
  readonly mode: MutexMode;
  readonly grant: () => void;
}

/**
 * An in-process readers-writer mutex that serves callers strictly in arrival order: a shared
 * request behind a queued exclusive one waits, so writers never starve. No timers, no I/O.
 */
export class FifoMutex {
  #holders = 0;
  #mode: MutexMode | undefined;
  readonly #queue: Waiter[] = [];

  /** Take the mutex now if that does not jump the queue. */
  tryAcquire(mode: MutexMode): boolean {
    if (this.#queue.length > 0 || !this.#compatible(mode)) return false;
    this.#take(mode);
    return true;
  }

  /**
   * Wait in line. Resolves true once held; false if `signal` fired first (then it is not held).
   */
  acquire(mode: MutexMode, signal?: AbortSignal): Promise<boolean> {
    if (this.tryAcquire(mode)) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        mode,
        grant: () => {
          signal?.removeEventListener('abort', leave);
          resolve(true);
        },
      };
      const leave = (): void => {
        const at = this.#queue.indexOf(waiter);
        if (at === -1) return; // already granted
        this.#queue.splice(at, 1);
        resolve(false);
        this.#dispatch(); // a departed exclusive waiter may have been blocking shared ones
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#queue.push(waiter);
    });
  }

  release(): void {
    if (this.#holders === 0) throw new Error('FifoMutex.release() without a holder');
    this.#holders -= 1;
    if (this.#holders === 0) this.#mode = undefined;
    this.#dispatch();
  }

  /** Number of current holders (several only in shared mode). */
  get holders(): number {
    return this.#holders;
  }

  /** Number of callers waiting in line. */
  get waiting(): number {
    return this.#queue.length;
  }

  #compatible(mode: MutexMode): boolean {
    return this.#holders === 0 || (mode === 'shared' && this.#mode === 'shared');
  }

  #take(mode: MutexMode): void {
    this.#holders += 1;
    this.#mode = mode;
  }

  #dispatch(): void {
    for (let next = this.#queue[0]; next !== undefined && this.#compatible(next.mode); next = this.#queue[0]) {
      this.#queue.shift();
      this.#take(next.mode);
      next.grant();
    }
  }
}
