import { closeSync, openSync } from 'node:fs';

/** The errno codes that mean "no file descriptor left": for this process, or for the whole system. */
export type DescriptorShortage = 'EMFILE' | 'ENFILE';

/** How many descriptors a probe asks for: one SQLite connection needs up to 3 (database, -wal, -shm). */
const PROBE_FDS = 4;

/** The EMFILE/ENFILE error in `err` or its `cause` chain, if any. */
export function findShortage(err: unknown): (NodeJS.ErrnoException & { code: DescriptorShortage }) | undefined {
  for (let at = err, depth = 0; at !== undefined && at !== null && depth < 8; depth++) {
    const code = (at as { code?: unknown }).code;
    if (code === 'EMFILE' || code === 'ENFILE') return at as NodeJS.ErrnoException & { code: DescriptorShortage };
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether this process cannot open a few more descriptors right now. For failures that hide the
 * errno: SQLite says only SQLITE_CANTOPEN, and a module that fails to load reads as "not found".
 */
export function outOfDescriptors(): DescriptorShortage | undefined {
  const opened: number[] = [];
  try {
    for (let i = 0; i < PROBE_FDS; i++) opened.push(openSync('/dev/null', 'r'));
    return undefined;
  } catch (err) {
    return findShortage(err)?.code;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
