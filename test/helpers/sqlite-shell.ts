import type { ChildProcess } from 'node:child_process';
import { startProcess, waitForLine } from './processes.js';

/** An interactive `sqlite3` CLI session: an outside client whose connection (and locks) stay open. */
export interface SqliteShell {
  readonly child: ChildProcess;
  /** Send SQL, then wait until the shell has run it (it echoes a marker line). */
  run(sql: string): Promise<void>;
  /** Send SQL without waiting (e.g. from inside a callback). */
  send(sql: string): void;
}

let marker = 0;

/** Start `sqlite3 PATH` reading SQL from a pipe that stays open until the test ends. */
export function startSqliteShell(path: string): SqliteShell {
  const child = startProcess('sqlite3', ['-batch', path], { stdio: ['pipe', 'pipe', 'pipe'] });
  const send = (sql: string): void => {
    child.stdin?.write(`${sql}\n`);
  };
  return {
    child,
    send,
    run: async (sql) => {
      marker += 1;
      const done = `done-${marker}`;
      const seen = waitForLine(child, (line) => line === done);
      send(`${sql}\nSELECT '${done}';`);
      await seen;
    },
  };
}
