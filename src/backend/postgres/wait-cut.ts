import type { WaitControl } from '../types.js';

/** How long past the wait's deadline the server may take to answer before we give the session up. */
export const SERVER_SLACK_MS = 2000;

/**
 * `query`'s result, unless the wait is aborted or the server stays silent past the deadline (plus
 * slack): then `giveUp()` (which closes the session, so the server drops anything it was about to
 * grant) and undefined. Without `wait`, just the query.
 */
export async function withinWait<T>(
  query: Promise<T>,
  wait: WaitControl | undefined,
  remaining: number,
  giveUp: () => void,
): Promise<T | undefined> {
  if (wait === undefined) return await query;
  let settle: () => void = () => {};
  const cut = new Promise<undefined>((resolve) => {
    settle = () => resolve(undefined);
  });
  const stop = (): void => {
    giveUp();
    settle();
  };
  const guard = Number.isFinite(remaining) ? setTimeout(stop, remaining + SERVER_SLACK_MS) : undefined;
  wait.signal?.addEventListener('abort', stop, { once: true });
  query.catch(() => {}); // after a cut, its rejection is expected and not ours to report
  try {
    return await Promise.race([query, cut]);
  } finally {
    clearTimeout(guard);
    wait.signal?.removeEventListener('abort', stop);
  }
}
