import type { LockMode } from '../backend/types.js';
import { DblockError } from '../errors.js';
import { boundedWait } from '../util/bounded-wait.js';
import type { HolderRecord } from './holder-record.js';

/** What a handle knows when it is made. */
export interface LockHandleInit {
  target: string;
  lockPath: string;
  mode: LockMode;
  fd: number | undefined;
  /** The fencing token of this exclusive hold (postgres). */
  fence?: bigint | undefined;
  reentrant: boolean;
  waitedMs: number;
  waitedFor: HolderRecord | undefined;
  /** Aborts if the lock is lost while held; absent for backends that cannot lose one. */
  signal?: AbortSignal | undefined;
  release: () => void;
  annotate?: ((fields: { pid?: number; command?: string }) => void) | undefined;
  companions?: readonly LockHandle[] | undefined;
}

// flock locks are never lost: one signal that never aborts serves every such handle, at no cost.
const NEVER_ABORTED = new AbortController().signal;

/**
 * A held lock. `release()` is idempotent; `using` / `await using` release it at scope end.
 * @example
 * await using held = await lock('app.db');
 * // … write …
 */
export class LockHandle implements Disposable, AsyncDisposable {
  /** The canonical path of the protected file. */
  readonly target: string;
  /** The file whose OS lock this is (`<target>.lock`, or the `--lock` file itself). */
  readonly lockPath: string;
  readonly mode: LockMode;
  /** The descriptor holding the lock, for passing to a child process (undefined when none exists). */
  readonly fd: number | undefined;
  /**
   * postgres backend: this exclusive hold's fencing token, strictly increasing per lock name. A lease
   * lock cannot stop a paused holder; the resource can, by refusing writes with a lower fence than it saw.
   */
  readonly fence: bigint | undefined;
  /** True when this acquisition passed through a lock the caller (or an ancestor `dblock exec`) already held. */
  readonly reentrant: boolean;
  /** How long the acquisition waited, in milliseconds (0 on the uncontended path). */
  readonly waitedMs: number;
  /** The holder record seen when the lock was found busy, if any. */
  readonly waitedFor: HolderRecord | undefined;
  /**
   * Aborts, with an `ECOMPROMISED` DblockError as its reason, if the lock is lost while held (mkdir
   * backend: the heartbeat failed and another process may have taken it over). Never aborts on flock.
   * Pass it to long work, or call `held.signal.throwIfAborted()` before committing.
   */
  readonly signal: AbortSignal;
  /**
   * Other locks taken with this one and released with it (the sidecar beside the target, taken too by a
   * `lockDir` acquisition), to be passed down to a child with it.
   */
  readonly companions: readonly LockHandle[];
  #release: (() => void) | undefined;
  readonly #annotate: LockHandleInit['annotate'];

  constructor(init: LockHandleInit) {
    this.target = init.target;
    this.lockPath = init.lockPath;
    this.mode = init.mode;
    this.fd = init.fd;
    this.fence = init.fence;
    this.reentrant = init.reentrant;
    this.waitedMs = init.waitedMs;
    this.waitedFor = init.waitedFor;
    this.signal = init.signal ?? NEVER_ABORTED;
    this.#release = init.release;
    this.#annotate = init.annotate;
    this.companions = init.companions ?? [];
  }

  /** This handle also holding `companion` (released after this one, annotated with it). */
  withCompanion(companion: LockHandle): LockHandle {
    const annotate = this.#annotate;
    return this.#succeed((own) => ({
      reentrant: this.reentrant && companion.reentrant,
      waitedMs: this.waitedMs + companion.waitedMs,
      waitedFor: this.waitedFor ?? companion.waitedFor,
      signal: AbortSignal.any([this.signal, companion.signal]),
      companions: [...this.companions, companion],
      release: () => {
        try {
          own?.();
        } finally {
          companion.release();
        }
      },
      annotate: (fields) => {
        annotate?.(fields);
        companion.annotate(fields);
      },
    }));
  }

  /** A new handle that takes over what this one holds (this one becomes released), with some fields changed. */
  #succeed(change: (own: (() => void) | undefined) => Partial<LockHandleInit> & Pick<LockHandleInit, 'release'>): LockHandle {
    const own = this.#release;
    this.#release = undefined;
    return new LockHandle({
      target: this.target,
      lockPath: this.lockPath,
      mode: this.mode,
      fd: this.fd,
      fence: this.fence,
      reentrant: this.reentrant,
      waitedMs: this.waitedMs,
      waitedFor: this.waitedFor,
      signal: this.signal,
      companions: this.companions,
      annotate: this.#annotate,
      ...change(own),
    });
  }

  /**
   * The same signal as `signal`, under the name the PostgreSQL backend uses: on postgres it aborts with an `ELOCKLOST`
   * DblockError when the session drops, a heartbeat fails or the lease passes unanswered.
   */
  get lost(): AbortSignal {
    return this.signal;
  }

  /**
   * This handle with a cap on how long it may be held: after `maxHoldMs` its `signal` aborts with an
   * `EMAXHOLD` DblockError (the lock itself stays held until released; work watching the signal stops).
   */
  withMaxHold(maxHoldMs: number, text: string): LockHandle {
    const controller = new AbortController();
    let stop = (): void => {};
    // boundedWait, not a bare setTimeout: a cap over 24.8 days would otherwise fire after 1 ms.
    void boundedWait(maxHoldMs, undefined, (wake) => {
      stop = wake;
    }).then((outcome) => {
      if (outcome === 'timeout')
        controller.abort(new DblockError('EMAXHOLD', `held ${this.lockPath} for ${text} (maxHold): giving up`));
    });
    return this.#succeed((own) => ({
      signal: AbortSignal.any([this.signal, controller.signal]),
      release: () => {
        stop();
        own?.();
      },
    }));
  }

  /** True until `release()` is called. */
  get held(): boolean {
    return this.#release !== undefined;
  }

  /** Release the lock; calling it again does nothing. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Rewrite the holder record (e.g. with the pid and command of a child that now holds the lock). */
  annotate(fields: { pid?: number; command?: string }): void {
    if (this.held) this.#annotate?.(fields);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}
