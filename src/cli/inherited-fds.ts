import { fstatSync } from 'node:fs';

/**
 * Set by bin/dblock.js's shell preamble: `PID:0 1 2 5`, the descriptors open when dblock started.
 * Node marks every inherited descriptor close-on-exec at start-up and JavaScript cannot tell them
 * from Node's own afterwards, so the list is taken by the shell before Node runs.
 */
export const INHERITED_FDS_ENV = 'DBLOCK_INHERITED_FDS';

/**
 * The descriptors this process inherited, ≥ 3 (0-2 are passed as they are anyway). Empty when the
 * list is missing (`node bin/dblock.js` run directly) or belongs to another process (a variable
 * left in an environment is only trusted by the pid the shell exec'd into).
 */
export function inheritedFds(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number[] {
  const raw = env[INHERITED_FDS_ENV];
  if (raw === undefined) return [];
  const colon = raw.indexOf(':');
  if (colon === -1 || Number(raw.slice(0, colon)) !== pid) return [];
  const fds = new Set<number>();
  for (const word of raw.slice(colon + 1).split(' ')) {
    const fd = Number(word);
    if (word !== '' && Number.isInteger(fd) && fd >= 3 && isOpen(fd)) fds.add(fd);
  }
  return [...fds].sort((a, b) => a - b);
}

/** A stdio entry of `child_process.spawn`: the child's descriptor i gets the parent's entry i. */
export type StdioEntry = 'inherit' | 'ignore' | number;

/** The child's descriptor table, and the numbers at which `passed` (our own descriptors) arrive. */
export interface ChildFds {
  readonly stdio: StdioEntry[];
  readonly numbers: number[];
}

/**
 * Every inherited descriptor at its own number (libuv clears close-on-exec for entry i = i), and
 * ours on the lowest numbers ≥ 3 that are free; gaps stay closed in the child. A passed descriptor
 * that was itself inherited (an ancestor's lock) keeps its number.
 * @example layoutChildFds([3, 5], [21]) // stdio ['inherit','inherit','inherit', 3, 21, 5], numbers [4]
 */
export function layoutChildFds(inherited: readonly number[], passed: readonly number[]): ChildFds {
  const stdio: StdioEntry[] = ['inherit', 'inherit', 'inherit'];
  const taken = new Set(inherited);
  for (const fd of inherited) stdio[fd] = fd;
  const numbers: number[] = [];
  let next = 3;
  for (const fd of passed) {
    if (taken.has(fd)) {
      numbers.push(fd);
      continue;
    }
    while (taken.has(next)) next++;
    stdio[next] = fd;
    numbers.push(next);
    next++;
  }
  for (let i = 3; i < stdio.length; i++) stdio[i] ??= 'ignore';
  return { stdio, numbers };
}

/** Whether `fd` is an open descriptor (a stale entry must not make spawn fail). */
export function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
