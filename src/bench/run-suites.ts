import { cpus, release, totalmem } from 'node:os';
import { DblockError } from '../errors.js';
import { SUITES } from './suites.js';
import type { BenchSuite, BenchTable } from './types.js';

/** How to run the suites: which, how long, and where progress and tables go as they come. */
export interface RunSuitesOptions {
  /** Shorter runs (fewer repetitions): a quick look, not numbers to publish. */
  quick: boolean;
  /** Suite names to run; empty = all. */
  only: readonly string[];
  /** A suite starting (`suite` set) or one of its steps starting. */
  onStep: (line: string, suite?: BenchSuite) => void;
  /** Each table as soon as its suite is done. */
  onTable?: (table: BenchTable) => void;
}

/** The suites `only` names, in order; every suite when it is empty. */
export function selectSuites(only: readonly string[]): BenchSuite[] {
  const unknown = only.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    const known = SUITES.map((suite) => suite.name).join(', ');
    throw new DblockError('EUSAGE', `Expected a benchmark suite (${known}), got \`${unknown.join(', ')}\``);
  }
  return only.length === 0 ? SUITES : SUITES.filter((suite) => only.includes(suite.name));
}

/**
 * Run the selected suites one after another (they would disturb each other's timings) and return
 * every table. Shared by `npm run bench` and `dblock bench`.
 * @throws DblockError EUSAGE for an unknown suite name
 */
export async function runSuites(options: RunSuitesOptions): Promise<BenchTable[]> {
  const tables: BenchTable[] = [];
  for (const suite of selectSuites(options.only)) {
    options.onStep(`bench: ${suite.name}…`, suite);
    for (const table of await suite.run({ quick: options.quick, log: (line) => options.onStep(line) })) {
      tables.push(table);
      options.onTable?.(table);
    }
  }
  return tables;
}

/** The machine line printed above the tables: numbers mean little without it. */
export function describeMachine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${release()}, Node ${process.version}`;
}
