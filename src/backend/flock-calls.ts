import fsExt from 'fs-ext';
import { fromSystemError } from '../errors.js';

/** A non-blocking flock: true when taken, false when someone else holds it; other errors throw. */
export function tryFlock(fd: number, op: 'shnb' | 'exnb'): boolean {
  try {
    fsExt.flockSync(fd, op);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw fromSystemError(err, 'flock');
  }
}

/** Release a flock held through `fd`. */
export function unlock(fd: number): void {
  fsExt.flockSync(fd, 'un');
}
