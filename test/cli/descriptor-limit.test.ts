import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { concurrentIt } from '../helpers/after-test.js';
import { BIN, FIXTURES, finished, startProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * From 19 on (Node 20 itself uses descriptors 0-18: at 18 it cannot read dblock's script, below it
 * aborts) dblock starts; up to where each command has enough, it must fail in one line with 71.
 */
const LIMITS = [19, 22, 26, 32, 48];
const SHORTAGE = /^dblock: too many open files \(EMFILE\)[^\n]*ulimit -n[^\n]*\n$/;

/** `ulimit -n LIMIT; exec node bin/dblock.js ARGS` */
function dblockWithLimit(limit: number, args: string[], env: NodeJS.ProcessEnv) {
  const quoted = args.map((arg) => `'${arg}'`).join(' ');
  return finished(startProcess('sh', ['-c', `ulimit -n ${limit}; exec "${process.execPath}" "${BIN}" ${quoted}`], { env }));
}

/** Each command, and how to tell from its files that a run which exited 0 really did its work. */
const COMMANDS: [string, (dir: string) => string[], ((dir: string) => boolean) | undefined][] = [
  ['exec', (d) => ['exec', '--db', `${d}/a.db`, '--', 'sh', '-c', `echo ran > ${d}/ran`], (d) => existsSync(`${d}/ran`)],
  ['exec -v', (d) => ['-v', 'exec', '--db', `${d}/a.db`, '--', 'sh', '-c', `echo ran > ${d}/ran`], (d) => existsSync(`${d}/ran`)],
  [
    'exec --writes',
    (d) => ['exec', '--writes', `${d}/w`, '--', 'sh', '-c', `echo ran > ${d}/ran`],
    (d) => existsSync(`${d}/ran`),
  ],
  ['append', (d) => ['append', `${d}/x.jsonl`, '{"a":1}'], (d) => readFileSync(`${d}/x.jsonl`, 'utf8') === '{"a":1}\n'],
  ['init', (d) => ['init', '--db', `${d}/a.db`], (d) => existsSync(`${d}/a.db`)],
  ['check', (d) => ['check', '--db', `${d}/a.db`], undefined],
  ['status', (d) => ['status', '--db', `${d}/a.db`], undefined],
  ['checkpoint', (d) => ['checkpoint', '--db', `${d}/a.db`], undefined],
  ['intents', () => ['intents'], undefined],
  ['conflicts', () => ['conflicts'], undefined],
  ['stress', () => ['stress', '--workers', '3', '--ops', '1'], undefined],
  ['stress -- CMD', (d) => ['stress', '--workers', '3', '--ops', '1', '--db', `${d}/s.db`, '--', 'true'], undefined],
];

// Each test runs its processes one after another; the tests themselves run side by side (2 cores).
describe('a low descriptor limit (ulimit -n)', () => {
  for (const [_, argsFor, didWork] of COMMANDS) {
    concurrentIt(
      `${_}: exits 0 having done its work, or 71 with one line; never a stack trace`,
      async () => {
        for (const limit of LIMITS) {
          const dir = tempDir();
          const env = { ...process.env, DBLOCK_HOME: join(dir, 'home') };
          // check/status/checkpoint need a database: made without a limit.
          if (['check', 'checkpoint'].includes(_)) {
            expect((await dblockWithLimit(1024, ['init', '--db', `${dir}/a.db`], env)).code).toBe(0);
          }
          const result = await dblockWithLimit(limit, argsFor(dir), env);
          const what = `${_} at ulimit -n ${limit}: ${result.stderr}`;
          expect([0, 71], what).toContain(result.code);
          expect(result.stderr, what).not.toMatch(/^\s+at |node:internal|Unhandled/m);
          if (result.code === 71) expect(result.stderr, what).toMatch(SHORTAGE);
          if (result.code === 0 && didWork !== undefined) expect(didWork(dir), what).toBe(true);
        }
      },
      180_000,
    );
  }

  concurrentIt(
    'makes the library fail with EOSERR, never "cannot open" or "module not found", however few are left',
    async () => {
      const dir = tempDir();
      for (const free of [0, 1, 2, 3, 4, 6]) {
        for (const call of ['lock', 'open']) {
          const script = `ulimit -n 64; exec "${process.execPath}" "${FIXTURES}/exhaust-fds.mjs" ${free} ${call} ${dir}/${call}-${free}.db`;
          const run = await finished(startProcess('sh', ['-c', script]));
          const report = JSON.parse(run.stdout) as { result?: string; code?: string };
          if (report.result !== 'ok') expect(report, `${call} with ${free} free`).toMatchObject({ code: 'EOSERR' });
        }
      }
    },
    240_000,
  );
});
