// The keeper of a mkdir lock that `dblock exec` holds for CMD: a process of its own (spawned by
// src/cli/commands/exec-keeper.ts) that keeps the lock fresh for exactly as long as CMD lives, so a
// SIGKILLed or SIGSTOPped dblock no longer frees it early (flock gets this from the inherited fd).
//   argv: LOCK_DIR INTERVAL_MS. fd 3: the holder file of our acquisition (proof the lock is still ours).
//   stdin: a pipe whose other end only dblock and CMD hold; EOF means both are gone.
// It refreshes the directory's mtime every INTERVAL_MS while the lock is still ours; at EOF it removes
// the lock if it is still ours (dblock, when alive, has released it already, so that is a no-op).
import { utimesSync } from 'node:fs';
import { isOurs, releaseLockDir } from './lock-dir-fs.js';

/** The holder file dblock passes at fd 3. */
const HOLDER_FD = 3;

const [lockDir, interval] = process.argv.slice(2);
const intervalMs = Number(interval);
if (lockDir === undefined || !(intervalMs > 0)) {
  process.stderr.write('usage: lock-keeper LOCK_DIR INTERVAL_MS (fd 3: holder file, stdin: liveness pipe)\n');
  process.exit(64);
}

const beat = (): void => {
  // Released by dblock or taken over: never refresh a directory that is not ours.
  if (!isOurs(lockDir, HOLDER_FD)) process.exit(0);
  const now = new Date();
  try {
    utimesSync(lockDir, now, now);
  } catch {
    // Removed between the check and the touch: the next beat sees it is no longer ours.
  }
};

const finish = (): void => {
  clearInterval(timer);
  releaseLockDir(lockDir, { holderFd: HOLDER_FD });
  process.exit(0);
};

beat();
const timer = setInterval(beat, intervalMs);
// Nothing is ever written to the pipe: only its end matters.
process.stdin.once('end', finish).once('error', finish).resume();
