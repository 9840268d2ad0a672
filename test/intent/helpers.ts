import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A scratch directory with its own registry, so tests never touch the user's DBLOCK_HOME. */
export function scratch(): { dir: string; registry: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('dblock-intent-');
  return { dir, registry: join(dir, 'registry.db'), env: { ...process.env, DBLOCK_HOME: join(dir, 'home') } };
}

/** Messages the intent-holder fixture sends. */
export interface HolderMessage {
  ready?: boolean;
  admitted?: boolean;
  released?: boolean;
  taskId?: string;
  token?: string;
  expiresAt?: number | null;
  pid?: number;
  error?: string;
  code?: string;
  conflict?: { otherTaskId: string; path: string; otherPath: string };
}

/** Start the intent-holder fixture and wait until it has been admitted (or refused). */
export async function holdIntent(
  paths: string[],
  options: Record<string, unknown>,
): Promise<{ child: ChildProcess; message: HolderMessage }> {
  const child = startFixture('intent-holder', [JSON.stringify(paths), JSON.stringify(options)]);
  const message = await nextMessage<HolderMessage>(child, (m) => m.admitted === true || m.error !== undefined);
  return { child, message };
}

/** Ask a holder to release and wait until it has. */
export async function releaseHolder(child: ChildProcess): Promise<void> {
  const released = nextMessage<HolderMessage>(child, (m) => m.released === true);
  child.send('release');
  await released;
}

/** Resolve when `child` has written a line matching `pattern` on stderr. */
export function stderrLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const hit = buffer.split('\n').find((line) => pattern.test(line));
      if (hit !== undefined) {
        child.stderr?.off('data', onData);
        resolve(hit);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`exited before writing ${pattern} on stderr: ${buffer}`)));
  });
}

/**
 * Release holders started with `barrier: true` at once, after all are ready; resolves to each one's
 * outcome (admitted, or the error it got), in start order.
 */
export async function raceAtBarrier(children: readonly ChildProcess[]): Promise<HolderMessage[]> {
  await Promise.all(children.map((child) => nextMessage<HolderMessage>(child, (m) => m.ready === true)));
  const results = children.map((child) => nextMessage<HolderMessage>(child, (m) => m.admitted === true || m.error !== undefined));
  for (const child of children) child.send('go');
  return Promise.all(results);
}
