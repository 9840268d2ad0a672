import type { ChildProcess } from 'node:child_process';
import { BIN, killAfterTest, startProcess } from './processes.js';

/** A dblock run on a pseudo-terminal (util-linux script(1)): what a person at a terminal sees. */
export interface TerminalRun {
  child: ChildProcess;
  /** Everything written to the terminal so far, escapes and all. */
  screen: () => string;
  /** dblock's own pid (the shell execs node in its place), once it has printed it. */
  pid: () => Promise<number>;
}

/** Start `dblock ARGS` on a terminal of its own, with `env` added (TERM=dumb, say). */
export function startOnTerminal(args: readonly string[], env: NodeJS.ProcessEnv = {}): TerminalRun {
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  // `echo $$; exec …`: the pid printed is dblock's, since exec keeps it (so is bin/dblock.js's own exec).
  const command = `echo "pid=$$"; exec ${quoted}`;
  const child = startProcess('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const pid = async (): Promise<number> => {
    await untilScreen(() => text, /pid=(\d+)/);
    const found = Number(/pid=(\d+)/.exec(text)?.[1]);
    killAfterTest(found);
    return found;
  };
  return { child, screen: () => text, pid };
}

/** Resolve once the screen matches `pattern` (the test's own timeout bounds the wait). */
export async function untilScreen(screen: () => string, pattern: RegExp): Promise<void> {
  while (!pattern.test(screen())) await new Promise((resolve) => setTimeout(resolve, 20));
}
