import { type FSWatcher, watch } from 'node:fs';
import { boundedWait, type WaitOutcome } from '../util/bounded-wait.js';

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
  next(timeoutMs: number, signal: AbortSignal | undefined): Promise<WaitOutcome> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve('woken');
    }
    return boundedWait(timeoutMs, signal, (wake) => {
      this.#wake = wake;
      return () => {
        this.#wake = undefined;
        this.#pending = false;
      };
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
