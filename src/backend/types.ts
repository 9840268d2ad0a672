import type { BACKEND_NAMES } from '../defaults.js';
import type { DblockError } from '../errors.js';

/** Bytes at the start of a sidecar reserved for the holder record (written whole, so no stale tail). */
export const RECORD_SIZE = 512;

/** Shared or exclusive, as flock(2) understands them. */
export type LockMode = 'shared' | 'exclusive';

/** Names of the lock backends. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** How long a blocking wait may last and what can cut it short. */
export interface WaitControl {
  /** Absolute deadline (`performance.now()` clock); `Infinity` waits forever. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

/** What an OS-level probe sees, without taking the lock for longer than the probe. */
export type ProbeState = 'free' | 'shared' | 'exclusive' | 'absent';

/** Per-target settings a backend may use (each backend ignores what it has no use for). */
export interface BackendOptions {
  /** mkdir: a lock whose heartbeat stopped this long ago is abandoned and may be taken over. @default 10000 */
  readonly staleMs?: number | undefined;
  /**
   * The lock file is one the user named (`--lock FILE`, `exact`): it is opened read-only and never
   * written, as flock(1) treats it; the holder record goes beside it. @default false
   */
  readonly userFile?: boolean | undefined;
  /** postgres: connection URL (else DBLOCK_POSTGRES_URL, else the PG* variables). */
  readonly url?: string | undefined;
  /** postgres: a held lock counts as lost this long after the last answered heartbeat. @default 10000 */
  readonly leaseMs?: number | undefined;
  /** postgres: the command named in the holder record. @default this process's command line */
  readonly command?: string | undefined;
}

/**
 * A lock primitive across processes. Backends never import each other or the in-process mutex;
 * `lock/acquire.ts` wires them together.
 */
export interface LockBackend {
  readonly name: BackendName;
  /** Whether `--shared` makes sense for this backend. */
  readonly supportsShared: boolean;
  /** Whether a held lock can be lost (mkdir: the heartbeat failed); flock's never is. */
  readonly canBeCompromised: boolean;
  /** Open (creating if needed) the lock resource at `lockPath`. Synchronous; the caller caches it. */
  open(lockPath: string, options?: BackendOptions): LockResource;
  /** Who holds `lockPath` right now, by a non-blocking try through a separate handle (a server round trip for postgres). */
  probe(lockPath: string, options?: BackendOptions): ProbeState | Promise<ProbeState>;
  /** Read the advisory holder record without taking the lock. */
  readRecord(lockPath: string): Buffer | undefined;
  /**
   * The mode in which the inherited descriptor `fd` holds `lockPath`, or undefined when it is not
   * `lockPath` or holds nothing: only then may a nested call trust an ancestor's lock. Must never
   * change the lock (a spoofed DBLOCK_HELD must not convert or release an ancestor's lock).
   */
  inheritedMode(fd: number, lockPath: string, options?: BackendOptions): LockMode | undefined | Promise<LockMode | undefined>;
  /**
   * Whether `lockPath` is held by an ancestor of this process (which then waits for us: waiting would
   * deadlock). Optional; backends that cannot tell leave it out.
   */
  heldByAncestor?(lockPath: string): number | undefined;
}

/** One opened lock resource, used by one process; the in-process mutex serialises calls on it. */
export interface LockResource {
  readonly path: string;
  /** A descriptor a child process can inherit to go on holding the lock, when the backend has one (valid while held). */
  readonly fd: number | undefined;
  /**
   * Try once, never wait. True when the lock is now held in `mode`. flock answers synchronously
   * (the uncontended path stays free of promises); mkdir answers with a promise (its filesystem calls are async).
   */
  tryAcquire(mode: LockMode): boolean | Promise<boolean>;
  /**
   * The backend queues waiters itself (postgres: the server): a wait is asked for at once instead of
   * after a failing try, which would cost a round trip on every contended acquisition.
   */
  readonly waitsInServer?: boolean;
  /**
   * Wait for the lock without blocking the event loop; called after `tryAcquire` failed. Resolves true
   * when held; false when the deadline passed or the signal fired, and then the lock is not held (now or later).
   */
  acquire(mode: LockMode, wait: WaitControl): Promise<boolean>;
  /** Release; does nothing when not held. */
  release(): void;
  /** Write the advisory holder record (ignored when the resource is read-only). */
  writeRecord(record: Buffer): void;
  /**
   * Read the current holder record through the descriptors already open, when the backend can (the
   * backend's `readRecord` opens files: a contended acquisition reads the record once per wait).
   */
  readRecord?(): Buffer | undefined;
  /** Let go of descriptors and watches; only called when the lock is neither held nor waited for. */
  close(): void;
  /**
   * Set by the engine on backends that `canBeCompromised`: called (never thrown from a timer) when a
   * held lock is lost; the resource then counts as released.
   */
  onCompromised?: ((error: DblockError) => void) | undefined;
  /** The fencing token of the current exclusive hold, on backends that issue one (postgres). */
  readonly fence?: bigint | undefined;
}
