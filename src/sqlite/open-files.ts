import type { Stats } from 'node:fs';

/**
 * The database files (device + inode) this process has SQLite connections to, made by dblock.
 * Closing any descriptor of such a file drops every POSIX lock the process holds on it
 * (sqlite.org/howtocorrupt.html §2.2), so dblock never opens one of them with `fs`.
 */
const connected = new Map<string, number>();

function key(stats: Pick<Stats, 'dev' | 'ino'>): string {
  return `${stats.dev}:${stats.ino}`;
}

/** Note one more connection to the file `stats` describes; returns the matching release function. */
export function trackConnection(stats: Pick<Stats, 'dev' | 'ino'>): () => void {
  const k = key(stats);
  connected.set(k, (connected.get(k) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (connected.get(k) ?? 1) - 1;
    if (left === 0) connected.delete(k);
    else connected.set(k, left);
  };
}

/** True when this process holds a dblock connection to the file `stats` describes. */
export function hasConnection(stats: Pick<Stats, 'dev' | 'ino'>): boolean {
  return connected.has(key(stats));
}
