// The keeper of the mkdir locks that `dblock exec` holds for CMD: a process of its own (spawned by
// src/cli/commands/exec-keeper.ts) that keeps them fresh for exactly as long as CMD lives, so a
// SIGKILLed or SIGSTOPped dblock no longer frees them early (flock gets this from the inherited fd).
//   argv: INTERVAL_MS LOCK_DIR... The holder file of each lock's acquisition (proof it is still ours)
//   is open at fd 3, 4, … in the same order.
//   stdin: a pipe whose other end only dblock and CMD hold; EOF means both are gone.
// It refreshes each directory's mtime every INTERVAL_MS while that lock is still ours; at EOF it
// removes those still ours (dblock, when alive, has released them already, so that is a no-op).
import { utimesSync } from 'node:fs';
import { isOurs, releaseLockDir } from './lock-dir-fs.js';

/** The first holder file dblock passes. */
const FIRST_HOLDER_FD = 3;

const [interval, ...dirs] = process.argv.slice(2);
const intervalMs = Number(interval);
if (dirs.length === 0 || !(intervalMs > 0)) {
  process.stderr.write('usage: lock-keeper INTERVAL_MS LOCK_DIR... (fd 3…: holder files, stdin: liveness pipe)\n');
  process.exit(64);
}
const locks = dirs.map((dir, i) => ({ dir, fd: FIRST_HOLDER_FD + i }));

const beat = (): void => {
  // Released by dblock or taken over: never refresh a directory that is not ours.
  const ours = locks.filter((lock) => isOurs(lock.dir, lock.fd));
  if (ours.length === 0) process.exit(0);
  const now = new Date();
  for (const lock of ours) {
    try {
      utimesSync(lock.dir, now, now);
    } catch {
      // Removed between the check and the touch: the next beat sees it is no longer ours.
    }
  }
};

const finish = (): void => {
  clearInterval(timer);
  for (const lock of locks) releaseLockDir(lock.dir, { holderFd: lock.fd });
  process.exit(0);
};

beat();
const timer = setInterval(beat, intervalMs);
// Nothing is ever written to the pipe: only its end matters.
process.stdin.once('end', finish).once('error', finish).resume();
