/** How a bounded wait ended. */
export type WaitOutcome = 'woken' | 'timeout' | 'aborted';

/**
 * Arms the wait's wake-up: call `wake()` (at any time, any number of times) to end the wait with
 * `'woken'`. If it returns a function, that runs once when the wait settles, however it ends.
 */
export type ArmWake = (wake: () => void) => unknown;

/** Node fires a longer delay after 1 ms (TimeoutOverflowWarning): longer waits re-arm in steps of this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wait until `wake` is called, `ms` pass, or `signal` aborts, whichever comes first; never blocks
 * the event loop. On every path the timer is cleared, the abort listener removed and the arm's
 * clean-up run, so nothing of the wait keeps the process alive once it has settled. `ms` may be
 * `Infinity` (no timer: only a wake-up or the signal ends it). An already aborted signal ends it
 * at once, before `arm` is called; a wake-up from inside `arm` ends it at once too.
 * @example
 * if ((await boundedWait(50, signal)) === 'aborted') return false;
 */
export function boundedWait(ms: number, signal?: AbortSignal | undefined, arm?: ArmWake): Promise<WaitOutcome> {
  if (signal?.aborted) return Promise.resolve('aborted');
  return new Promise<WaitOutcome>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let cleanup: (() => void) | undefined;
    let settled = false;
    const release = (): void => {
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      signal?.removeEventListener('abort', onAbort);
    };
    const settle = (outcome: WaitOutcome): void => {
      if (settled) return;
      release();
      const armed = cleanup;
      cleanup = undefined;
      armed?.();
      resolve(outcome);
    };
    const onAbort = (): void => settle('aborted');
    const total = Number.isNaN(ms) ? 0 : ms;
    const deadline = performance.now() + total;
    const armTimer = (left: number): void => {
      if (left === Number.POSITIVE_INFINITY) return;
      if (left <= MAX_TIMER_MS) {
        timer = setTimeout(() => settle('timeout'), Math.max(0, left));
        return;
      }
      timer = setTimeout(() => armTimer(deadline - performance.now()), MAX_TIMER_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    armTimer(total);
    let returned: unknown;
    try {
      returned = arm?.(() => settle('woken'));
    } catch (err) {
      release(); // the wait rejects with arm's error, leaving nothing armed
      throw err;
    }
    if (typeof returned !== 'function') return;
    if (settled) returned();
    else cleanup = returned as () => void;
  });
}

/**
 * `setTimeout` for any delay: Node fires a delay over 2³¹−1 ms (24.8 days) after 1 ms, so a longer one
 * re-arms in steps. Returns the cancel function. `unref` lets the process exit while it is pending.
 * @example const cancel = setLongTimeout(() => stop(), maxHoldMs);
 */
export function setLongTimeout(fn: () => void, ms: number, { unref = false } = {}): () => void {
  const deadline = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number): void => {
    const step = left > MAX_TIMER_MS;
    timer = setTimeout(step ? () => arm(deadline - performance.now()) : fn, step ? MAX_TIMER_MS : Math.max(0, left));
    if (unref) timer.unref();
  };
  arm(ms);
  return () => clearTimeout(timer);
}
