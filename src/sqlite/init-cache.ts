import { statSync } from 'node:fs';

/** What this process last established about an initialised database file. */
interface Initialised {
  readonly dev: number;
  readonly ino: number;
  readonly journalMode: string;
  readonly userVersion: number;
}

const initialised = new Map<string, Initialised>();

/** Remember that `path` (canonical) is initialised, as the file it is now. */
export function rememberInitialised(path: string, journalMode: string, userVersion: number): void {
  try {
    const { dev, ino } = statSync(path);
    initialised.set(path, { dev, ino, journalMode, userVersion });
  } catch {
    initialised.delete(path);
  }
}

/**
 * True when this process already initialised `path` to at least what is asked, and the file is
 * still the same one (device and inode): then opening skips the init lock.
 */
export function isInitialised(path: string, journalMode: string, userVersion: number): boolean {
  const known = initialised.get(path);
  if (known === undefined) return false;
  // WAL is never downgraded, so a WAL database satisfies any requested mode.
  if (known.journalMode !== journalMode && known.journalMode !== 'wal') return false;
  if (known.userVersion < userVersion) return false;
  try {
    const { dev, ino } = statSync(path);
    if (dev === known.dev && ino === known.ino) return true;
  } catch {
    // gone: initialise again
  }
  initialised.delete(path);
  return false;
}
