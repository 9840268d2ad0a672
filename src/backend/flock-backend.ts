import { closeSync, existsSync, fstatSync, readSync, statSync, writeSync } from 'node:fs';
import { ancestors } from '../util/process-tree.js';
import { ChangeSignal } from './change-signal.js';
import { proveExclusion } from './exclusion-check.js';
import { flockHolderPids, flockModeThrough } from './fd-locks.js';
import { tryFlock, unlock } from './flock-calls.js';
import { openOptionalSidecar, openSidecarFile, openSidecarForProbe, openUserLockFile } from './sidecar-file.js';
import type { BackendOptions, LockBackend, LockMode, LockResource, ProbeState, WaitControl } from './types.js';

const RECORD_READ_MAX = 4096;
export const INITIAL_CONTENT = Buffer.from('\n');

/** Suffix of the turnstile file that orders waiters at the door (see FlockResource). */
export const TURNSTILE_SUFFIX = '.turn';
/** Suffix of the file that holds the record beside a lock file the user named (which is never written). */
export const HOLDER_SUFFIX = '.holder';

/** How long a waiter waits politely before it shuts the door on barging re-acquirers. */
export const STARVATION_MS = 2;
/** How long a waiter respects a door shut by someone else before it may step past it. */
const DOOR_PATIENCE_MS = 250;
/** How long a lock must stay free under a shut door before a waiter concludes the door holder is not moving. */
const FREE_CONFIRM_MS = 30;
/** Polling bounds for holders that do not announce their release (flock(1), a crashed process). */
export const FIRST_POLL_MS = 1;
export const MAX_POLL_MS = 25;
/** The byte a release writes into the door file: its inotify event wakes the waiters. */
export const NOTICE = Buffer.from('\n');

/**
 * flock(2) on a sidecar file, waited for without ever blocking in the kernel, with a door for
 * fairness (Go's sync.Mutex starvation mode, across processes).
 *
 * Waiting: a thread blocked in flock(2) can be neither cancelled nor abandoned — Node joins its
 * threadpool and worker threads at exit, so a timed-out waiter could not even exit. So a waiter
 * only ever makes non-blocking tries. It retries the moment the door file changes: every dblock
 * release writes a notice byte there, which inotify delivers at once (the door, not the lock file,
 * so holder-record writes wake nobody). Holders that announce nothing
 * (flock(1), a crashed process) are noticed by a jittered backoff poll, 1 ms growing to 25 ms.
 *
 * Fairness: flock(2) lets a releaser barge straight back in — it is running while the waiters
 * are still being woken. Barging is also what makes a tight loop fast, so it stays allowed until
 * a waiter has waited STARVATION_MS. That waiter then takes the door, a second file
 * `<lock>.turn`, and keeps it until it holds the lock. Every acquirer's first step is a
 * non-blocking try of the door, so while someone starves, nobody else can take the lock.
 * Plain flock(1) users take only the lock file: they stay excluded, they just skip the queue.
 *
 * A door holder that gets the lock exclusively opens the door silently: its own release wakes everyone
 * anyway, and a notice at the door's opening doubled the herd woken per hand-off. A door holder that
 * gets it shared (readers the door kept out may join) or leaves without it (timed out, aborted) announces.
 *
 * Cost (measured on 2 cores): a hand-off takes ~55 µs p50 against ~15 µs for a waiter blocked in
 * the kernel, almost all of it the event loop's wake (epoll + JS: 20–30 µs for one waiter, more when
 * several wake). Tried and reverted, none faster: one "head" waiter listening for releases (others
 * polling or woken when it leaves), strict arrival order through a waiter table, other
 * STARVATION_MS values (lower is worse; 2–16 ms are alike); a releaser whose hold was contended
 * yielding up to 1 ms, until another process's release notice (notices stamped with the pid so it
 * could tell its own) — barging streaks come from the uncontended fast path, which that leaves
 * alone, so the share of repeat acquisitions stayed ~0.97 and CPU per op rose. An uncontended
 * acquire+release is 4 flock(2) and 2 pwrite(2) calls (~1.4 µs CPU per flock pair, ~1.6 µs per
 * pwrite through Node): telling whether anyone waits with a flock or a read costs what the notice does.
 */
class FlockResource implements LockResource {
  readonly path: string;
  readonly fd: number;
  /** Where the holder record goes: the lock file itself when it is dblock's own, else `<lock>.holder`. */
  readonly #recordFd: number | undefined;
  readonly #turnFd: number | undefined;
  #mode: LockMode | undefined;
  #changes: ChangeSignal | undefined;
  /** The last tryAcquire found the door shut: trying to take it again at once would fail too (and a failed try throws). */
  #doorShut = false;

  constructor(path: string, userFile: boolean) {
    this.path = path;
    if (userFile) {
      // flock(1) never writes the file it locks, and neither does dblock: a script locking "$0" keeps its bytes.
      this.fd = openUserLockFile(path);
      this.#recordFd = openOptionalSidecar(path + HOLDER_SUFFIX, INITIAL_CONTENT);
    } else {
      const main = openSidecarFile(path, INITIAL_CONTENT);
      this.fd = main.fd;
      this.#recordFd = main.writable ? main.fd : undefined;
    }
    try {
      proveExclusion(path, this.fd);
    } catch (err) {
      this.close();
      throw err;
    }
    this.#turnFd = openOptionalSidecar(path + TURNSTILE_SUFFIX, INITIAL_CONTENT);
  }

  tryAcquire(mode: LockMode): boolean {
    // The door is checked on every acquisition. Skipping it for a millisecond after finding it open
    // saved 0.9 µs per uncontended acquire, but let a re-acquiring loop run on past a starving
    // waiter: 8 processes in a tight loop went from fairness 0.85 to 0.65 (measured, then reverted).
    const turn = this.#turnFd;
    this.#doorShut = turn !== undefined && !tryFlock(turn, 'exnb');
    if (this.#doorShut) return false; // a starving waiter holds the door
    try {
      return this.#tryLock(mode);
    } finally {
      if (turn !== undefined) unlock(turn);
    }
  }

  async acquire(mode: LockMode, wait: WaitControl): Promise<boolean> {
    const started = performance.now();
    const turn = this.#turnFd;
    // One watch per contended lock, kept for the process's life: removing an inotify watch waits for
    // an SRCU grace period (tens of µs), which would land on every hand-off.
    this.#changes ??= new ChangeSignal(this.path + TURNSTILE_SUFFIX);
    const changes = this.#changes;
    changes.reset();
    let doorHeld = false;
    let freeSince: number | undefined;
    try {
      for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
        if (wait.signal?.aborted) return false;
        if (doorHeld ? this.#tryLock(mode) : this.tryAcquire(mode)) return true;
        const now = performance.now();
        const lastTry = now >= wait.deadline;
        // A door holder that stopped (SIGSTOP, a debugger, a stalled event loop) must not shut everyone
        // out of a free lock. A last try (`--timeout 0` must behave like `flock -n`) takes a lock nobody
        // holds. After DOOR_PATIENCE_MS a waiter steps past the door too, but only to a lock that has
        // stayed free for FREE_CONFIRM_MS — a live door holder takes a free lock within a millisecond —
        // and never to join shared holders, or a stream of readers would keep a waiting writer out.
        if (!doorHeld && lastTry && this.#tryFree(mode)) return true;
        if (!doorHeld && now - started >= DOOR_PATIENCE_MS) {
          if (freeSince !== undefined && now - freeSince >= FREE_CONFIRM_MS) {
            if (this.#tryFree(mode)) return true;
            freeSince = undefined;
          } else if (this.#probeFree()) freeSince ??= now;
          else freeSince = undefined;
        }
        if (!doorHeld && !this.#doorShut && turn !== undefined && now - started >= STARVATION_MS) {
          doorHeld = tryFlock(turn, 'exnb');
        }
        if (lastTry) return false;
        const pause = delay * (0.5 + Math.random()); // jitter: pollers must not wake in lockstep
        await changes.next(Math.min(pause, wait.deadline - now), wait.signal);
      }
    } finally {
      // Holding the lock exclusively, its release wakes everyone: a notice now would wake them for nothing.
      // Shared, it wakes the readers the door kept out so they join; without the lock, those it kept from a free one.
      if (doorHeld) this.#openDoor(this.#mode !== 'exclusive');
    }
  }

  release(): void {
    if (this.#mode === undefined) return;
    this.#mode = undefined;
    unlock(this.fd);
    this.#announce(); // after the unlock, so the first waiter to run succeeds
  }

  writeRecord(record: Buffer): void {
    if (this.#recordFd === undefined) return;
    writeSync(this.#recordFd, record, 0, record.length, 0);
  }

  readRecord(): Buffer | undefined {
    // The own sidecar holds the record, unless a `--lock` user of the same file wrote `<lock>.holder`:
    // then, and for a lock file the user named, the backend compares both files by age.
    if (this.#recordFd !== this.fd || existsSync(this.path + HOLDER_SUFFIX)) return flockBackend.readRecord(this.path);
    const buf = Buffer.allocUnsafe(RECORD_READ_MAX);
    try {
      return buf.subarray(0, readSync(this.fd, buf, 0, buf.length, 0));
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.#changes?.close();
    this.#changes = undefined;
    closeSync(this.fd);
    if (this.#recordFd !== undefined && this.#recordFd !== this.fd) closeSync(this.#recordFd);
    if (this.#turnFd !== undefined) closeSync(this.#turnFd);
  }

  /** Let the door go, and `wake` the other waiters if some may now take or join the lock. */
  #openDoor(wake: boolean): void {
    if (this.#turnFd === undefined) return;
    unlock(this.#turnFd);
    if (wake) this.#announce();
  }

  /** Wake every waiter (inotify on the door file). Best effort: waiters also poll, so a failed write (full disk) only slows them. */
  #announce(): void {
    if (this.#turnFd === undefined) return;
    try {
      writeSync(this.#turnFd, NOTICE, 0, NOTICE.length, 0);
    } catch {
      // the poll will notice
    }
  }

  /**
   * Whether nobody holds the lock: taken and dropped at once. No release notice: a door holder that
   * tried in that microsecond retries on its own poll, and a notice per probe would wake every waiter.
   */
  #probeFree(): boolean {
    if (!tryFlock(this.fd, 'exnb')) return false;
    unlock(this.fd);
    return true;
  }

  /** Take the lock only if nobody holds it in any mode (a shared request converts, which may lose a race). */
  #tryFree(mode: LockMode): boolean {
    if (!tryFlock(this.fd, 'exnb')) return false;
    if (mode === 'shared' && !tryFlock(this.fd, 'shnb')) {
      // flock(2) converts by dropping the exclusive lock first; someone slipped in, and we hold nothing.
      unlock(this.fd);
      return false;
    }
    this.#mode = mode;
    return true;
  }

  #tryLock(mode: LockMode): boolean {
    const ok = tryFlock(this.fd, mode === 'shared' ? 'shnb' : 'exnb');
    if (ok) this.#mode = mode;
    return ok;
  }
}

/** The default backend: flock(2) through fs-ext, released by the kernel the moment a holder dies. */
export const flockBackend: LockBackend = {
  name: 'flock',
  supportsShared: true,
  canBeCompromised: false,

  open(lockPath: string, options?: BackendOptions): LockResource {
    return new FlockResource(lockPath, options?.userFile === true);
  },

  probe: probeLock,

  readRecord(lockPath: string): Buffer | undefined {
    // The record is in the lock file (dblock's own sidecar) or beside it (a lock file the user named):
    // the one written last is the current holder's.
    const inFile = readRecordFile(lockPath);
    const beside = readRecordFile(lockPath + HOLDER_SUFFIX);
    if (inFile === undefined || beside === undefined) return (inFile ?? beside)?.bytes;
    return (beside.mtimeMs >= inFile.mtimeMs ? beside : inFile).bytes;
  },

  inheritedMode(fd: number, lockPath: string): LockMode | undefined {
    try {
      const held = fstatSync(fd);
      const named = statSync(lockPath);
      if (held.dev !== named.dev || held.ino !== named.ino) return undefined;
    } catch {
      return undefined;
    }
    const mode = flockModeThrough(fd);
    if (mode !== undefined) return mode ?? undefined;
    // No /proc: an exclusive try on the ancestor's own open file description is a no-op if it holds the
    // lock exclusively, and fails (or takes a free lock, which we then drop) otherwise.
    if (probeLock(lockPath) !== 'exclusive') return undefined;
    return tryFlock(fd, 'exnb') ? 'exclusive' : undefined;
  },

  heldByAncestor(lockPath: string): number | undefined {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(lockPath);
    } catch {
      return undefined;
    }
    const holders = new Set(flockHolderPids(st.dev, st.ino));
    return holders.size === 0 ? undefined : ancestors().find((pid) => holders.has(pid));
  },
};

function readRecordFile(path: string): { bytes: Buffer; mtimeMs: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSidecarForProbe(path);
    if (fd === undefined) return undefined;
    const buf = Buffer.alloc(RECORD_READ_MAX);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { bytes: buf.subarray(0, n), mtimeMs: fstatSync(fd).mtimeMs };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Who holds `lockPath`, by non-blocking tries through a descriptor of its own. */
function probeLock(lockPath: string): ProbeState {
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
}
