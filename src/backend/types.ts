/** Bytes at the start of a sidecar reserved for the holder record (written whole, so no stale tail). */
export const RECORD_SIZE = 512;

/** Shared or exclusive, as flock(2) understands them. */
export type LockMode = 'shared' | 'exclusive';

/** Names of the lock backends (SPEC §2). */
export type BackendName = 'flock' | 'mkdir';

/** How long a blocking wait may last and what can cut it short. */
export interface WaitControl {
  /** Absolute deadline (`performance.now()` clock); `Infinity` waits forever. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

/** What an OS-level probe sees, without taking the lock for longer than the probe. */
export type ProbeState = 'free' | 'shared' | 'exclusive' | 'absent';

/**
 * A lock primitive across processes. Backends never import each other or the in-process mutex;
 * `lock/acquire.ts` wires them together.
 */
export interface LockBackend {
  readonly name: BackendName;
  /** Whether `--shared` makes sense for this backend. */
  readonly supportsShared: boolean;
  /** Open (creating if needed) the lock resource at `lockPath`. Synchronous; the caller caches it. */
  open(lockPath: string): LockResource;
  /** Who holds `lockPath` right now, by a non-blocking try through a separate handle. */
  probe(lockPath: string): ProbeState;
  /** Read the advisory holder record without taking the lock. */
  readRecord(lockPath: string): Buffer | undefined;
  /**
   * True when the inherited descriptor `fd` refers to `lockPath` and holds it in `mode`:
   * only then may a nested call trust an ancestor's lock.
   */
  verifyInherited(fd: number, lockPath: string, mode: LockMode): boolean;
}

/** One opened lock resource, used by one process; the in-process mutex serialises calls on it. */
export interface LockResource {
  readonly path: string;
  /** A descriptor a child process can inherit to go on holding the lock, when the backend has one. */
  readonly fd: number | undefined;
  /** Try once, never wait. True when the lock is now held in `mode`. */
  tryAcquire(mode: LockMode): boolean;
  /**
   * Wait for the lock without blocking the event loop. Resolves true when held; false when the
   * deadline passed or the signal fired, and then the lock is not held (now or later).
   */
  acquire(mode: LockMode, wait: WaitControl): Promise<boolean>;
  release(): void;
  /** Write the advisory holder record (ignored when the resource is read-only). */
  writeRecord(record: Buffer): void;
}
