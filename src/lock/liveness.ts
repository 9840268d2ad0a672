import { type FSWatcher, watch } from 'node:fs';
import { createHeldFile, type LivenessState, probeHeldFile, releaseHeldFile } from '../backend/liveness-file.js';
import { boundedWait } from '../util/bounded-wait.js';

export type { LivenessState } from '../backend/liveness-file.js';
export { removeFile as removeLivenessFile, verifyHeldFd } from '../backend/liveness-file.js';

/** Polls for holders that vanish without a word (SIGKILL): never coarser than this. */
const MAX_POLL_MS = 4;

/**
 * An exclusive flock on a file of its own, held for as long as some task lives. Others ask
 * `probeLiveness()` whether it is still held, or wait for it with `waitForRelease()`.
 */
export class LivenessLock {
  readonly path: string;
  /** The descriptor holding the lock (a child process that inherits it keeps the task alive). */
  readonly fd: number;
  #released = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Create `path` (it must not exist) and lock it. */
  static create(path: string): LivenessLock {
    return new LivenessLock(path, createHeldFile(path));
  }

  get held(): boolean {
    return !this.#released;
  }

  /** Unlock, close and remove the file. The unlink also wakes watchers at once. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    releaseHeldFile(this.fd, this.path);
  }
}

/** `held` while the owner lives; `free` or `absent` once it released or died. */
export function probeLiveness(path: string): LivenessState {
  return probeHeldFile(path);
}

/**
 * Resolve when any of `paths` is no longer held, at `until` (a `Date.now()` time), or on abort,
 * never blocking the event loop. A release unlinks the file, which inotify delivers at once; a
 * holder killed outright is noticed by a non-blocking probe every few milliseconds.
 */
export async function waitForRelease(paths: readonly string[], until: number, signal?: AbortSignal): Promise<void> {
  let wake: (() => void) | undefined;
  let changed = false;
  const notify = (): void => {
    changed = true;
    wake?.();
  };
  const watchers: FSWatcher[] = [];
  try {
    for (const path of paths) {
      try {
        const watcher = watch(path, { persistent: false }, notify);
        watcher.on('error', notify);
        watchers.push(watcher);
      } catch {
        return; // already gone
      }
    }
    for (let delay = 1; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
      if (changed || signal?.aborted || paths.some((path) => probeHeldFile(path) !== 'held')) return;
      const left = until - Date.now();
      if (left <= 0) return;
      await boundedWait(Math.min(left, delay * (0.5 + Math.random())), signal, (woken) => {
        wake = woken;
        return () => {
          wake = undefined;
        };
      });
    }
  } finally {
    for (const watcher of watchers) watcher.close();
  }
}
