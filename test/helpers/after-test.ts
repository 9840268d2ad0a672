import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, it, type TestContext, type TestOptions } from 'vitest';

type CleanUp = () => unknown;

// A test started by `concurrentIt` runs with its own list; every other test uses the shared one.
const ownList = new AsyncLocalStorage<CleanUp[]>();
const sharedList: CleanUp[] = [];

/**
 * Run `cleanUp` when the current test ends, pass or fail (latest first: children die before their
 * directory goes). Inside a `concurrentIt` test it is that test's own, so a sibling's end never kills it.
 */
export function afterThisTest(cleanUp: CleanUp): void {
  (ownList.getStore() ?? sharedList).push(cleanUp);
}

/** Runs and empties `list`, latest first; every clean-up runs even when one throws (the first error is rethrown). */
async function runAll(list: CleanUp[]): Promise<void> {
  const errors: unknown[] = [];
  for (const cleanUp of list.splice(0).reverse()) {
    try {
      await cleanUp();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

afterEach(() => runAll(sharedList));

type Body = (context: TestContext) => unknown;

/**
 * `it.concurrent` for tests that mostly wait (a stale period, a sleeping child): each has its own
 * children, temporary directories and connections (see `afterThisTest`), cleaned up when it ends.
 */
export function concurrentIt(name: string, body: Body, options: number | TestOptions = {}): void {
  const run = async (context: TestContext): Promise<void> => {
    const list: CleanUp[] = [];
    context.onTestFinished(() => runAll(list));
    await ownList.run(list, () => body(context));
  };
  it.concurrent(name, typeof options === 'number' ? { timeout: options } : options, run);
}
