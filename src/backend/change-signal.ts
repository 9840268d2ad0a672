import { type FSWatcher, watch } from 'node:fs';

/**
 * Wakes a waiter when a file is written (inotify on Linux, FSEvents/kqueue elsewhere). An event
 * that arrives while nobody is waiting is remembered, so a wake-up between a failed try and the
 * next wait is never lost. If the platform cannot watch the file, waits simply run to their timeout.
 */
export class ChangeSignal {
  readonly #watcher: FSWatcher | undefined;
  #pending = false;
  #wake: (() => void) | undefined;

  constructor(path: string) {
    try {
      this.#watcher = watch(path, { persistent: false }, () => this.#notify());
      this.#watcher.on('error', () => this.#notify());
    } catch {
      this.#watcher = undefined;
    }
  }

  /** Resolve on the next change (or one that already happened), after `timeoutMs`, or on abort. */
  next(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#pending || signal?.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  /** Forget changes seen so far: call before the first try of a new wait. */
  reset(): void {
    this.#pending = false;
  }

  close(): void {
    this.#watcher?.close();
    this.#wake?.();
  }

  #notify(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
