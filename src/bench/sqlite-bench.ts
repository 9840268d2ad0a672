import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../sqlite/open-database.js';
import type { JournalMode } from '../sqlite/options.js';
import { packageRoot } from '../util/package-root.js';
import { withScratchDir } from './scratch.js';
import { num, percentile, times } from './table.js';
import type { BenchCell, BenchOptions, BenchTable } from './types.js';

/** The writer process: dblock serialized / wal, SQLite alone, or proper-lockfile (see its header). */
// From the package root: the bundled CLI runs this module from dist/cli-bundle/chunks/.
const WRITER = join(packageRoot(), 'fixtures', 'sqlite-writer.mjs');
const ROWS = 'CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER)';

const MODES = [
  { key: 'serialized', label: 'dblock serialized' },
  { key: 'wal', label: 'dblock wal' },
  { key: 'sqlite', label: 'SQLite alone' },
  { key: 'flocksync', label: 'raw flockSync sidecar' },
  { key: 'lockfile', label: 'proper-lockfile' },
] as const;
export type ModeKey = (typeof MODES)[number]['key'];

const REGIMES = [
  { name: 'tight loop', workUs: 0, gapMs: 0 },
  { name: '200 µs work inside, 1 ms between', workUs: 200, gapMs: 1 },
] as const;

interface WriterReport {
  ops: number;
  errors: number;
  firstError?: string;
  busyRetries: number;
  latencies: number[];
}

/** One measured configuration. */
export interface RunResult {
  rowsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  fairness: number;
  busyRetries: number;
  errors: number;
  lost: number;
}

/**
 * N writer processes × single-row transactions, side by side: dblock serialized, dblock wal,
 * SQLite alone (busy_timeout 5000 + BEGIN IMMEDIATE), a blocking flockSync on the sidecar around
 * each transaction (the floor a sidecar lock can reach), proper-lockfile around each transaction.
 */
export async function runSqliteBench(options: BenchOptions): Promise<BenchTable[]> {
  const durationMs = options.quick ? 400 : 1500;
  const counts = [2, 4, 8];
  const tables: BenchTable[] = [];
  const ratios: BenchCell[][] = [];
  for (const regime of REGIMES) {
    const rows: BenchCell[][] = [];
    const atEight = new Map<ModeKey, RunResult>();
    for (const n of counts) {
      for (const mode of MODES) {
        options.log(`bench sqlite: ${regime.name}, N=${n}, ${mode.label}`);
        const result = await measure({ n, mode: mode.key, journal: 'wal', durationMs, ...regime });
        rows.push([n, mode.label, ...cells(result)]);
        if (n === 8) atEight.set(mode.key, result);
      }
    }
    tables.push({
      title: `SQLite writers, WAL, synchronous=NORMAL: ${regime.name} (${durationMs / 1000} s per run)`,
      keyColumns: 2,
      columns: COLUMNS,
      rows,
    });
    ratios.push(...ratioRows(regime.name, atEight));
  }
  tables.push({
    title: 'dblock serialized at N=8, as a ratio of SQLite alone and of a raw flockSync sidecar (same run)',
    keyColumns: 2,
    columns: ['regime', 'baseline', 'rows/s ×', 'p99 ×', 'max ×', 'dblock fairness', 'baseline fairness'],
    rows: ratios,
  });
  const rollback: BenchCell[][] = [];
  for (const mode of MODES) {
    options.log(`bench sqlite: rollback journal, N=8, ${mode.label}`);
    const result = await measure({ n: 8, mode: mode.key, journal: 'delete', durationMs, workUs: 0, gapMs: 0 });
    rollback.push([8, mode.label, ...cells(result)]);
  }
  tables.push({
    title: 'SQLite writers, rollback journal (delete), synchronous=NORMAL: tight loop',
    keyColumns: 2,
    columns: COLUMNS,
    rows: rollback,
  });
  return tables;
}

const COLUMNS = ['N', 'mode', 'rows/s', 'p50 ms', 'p99 ms', 'max ms', 'fairness (min/max)', 'busy retries', 'errors'];

function cells(r: RunResult): BenchCell[] {
  const errors = r.lost === 0 ? String(r.errors) : `${r.errors} (${r.lost} rows LOST)`;
  return [num(r.rowsPerSec, 0), num(r.p50), num(r.p99), num(r.max, 1), num(r.fairness), r.busyRetries, errors];
}

/** dblock serialized against each baseline at N=8: below 1 is better for p99 and max, above 1 for rows/s. */
function ratioRows(regime: string, at: Map<ModeKey, RunResult>): BenchCell[][] {
  const ours = at.get('serialized');
  if (ours === undefined) return [];
  const rows: BenchCell[][] = [];
  for (const key of ['sqlite', 'flocksync'] as const) {
    const base = at.get(key);
    if (base === undefined) continue;
    const label = MODES.find((m) => m.key === key)?.label ?? key;
    rows.push([
      regime,
      label,
      times(ours.rowsPerSec / base.rowsPerSec),
      times(ours.p99 / base.p99),
      times(ours.max / base.max, 3),
      num(ours.fairness),
      num(base.fairness),
    ]);
  }
  return rows;
}

export interface RunSpec {
  n: number;
  mode: ModeKey;
  journal: JournalMode;
  durationMs: number;
  workUs: number;
  gapMs: number;
}

/** One configuration: N writer processes for `durationMs`, summarised (also used by ad-hoc hand-off measurements). */
export async function measure(spec: RunSpec): Promise<RunResult> {
  return withScratchDir('dblock-bench-', async (dir) => {
    const db = join(dir, 'bench.db');
    const children: ChildProcess[] = [];
    try {
      const setup = await openDatabase(db, { journalMode: spec.journal, migrations: [ROWS] });
      await setup.close();
      for (let id = 0; id < spec.n; id += 1) {
        const config = {
          db,
          id,
          mode: spec.mode,
          journal: spec.journal,
          durationMs: spec.durationMs,
          workUs: spec.workUs,
          gapMs: spec.gapMs,
          latencies: true,
        };
        children.push(fork(WRITER, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
      }
      await Promise.all(children.map((child) => message(child, (m) => m.ready === true)));
      const reports = children.map((child) => message(child, (m) => 'ops' in m) as Promise<unknown> as Promise<WriterReport>);
      for (const child of children) child.send('go');
      const done = await Promise.all(reports);
      const check = await openDatabase(db, { readonly: true });
      const stored = (await check.read((s) => s.prepare('SELECT count(*) FROM rows').pluck().get())) as number;
      await check.close();
      return summarise(done, spec.durationMs, stored);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
}

function summarise(reports: WriterReport[], durationMs: number, stored: number): RunResult {
  const ops = reports.map((r) => r.ops);
  const total = ops.reduce((a, b) => a + b, 0);
  const latencies = reports.flatMap((r) => r.latencies);
  const max = latencies.reduce((a, b) => Math.max(a, b), 0);
  return {
    rowsPerSec: total / (durationMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max,
    fairness: Math.min(...ops) / Math.max(...ops, 1),
    busyRetries: reports.reduce((a, r) => a + r.busyRetries, 0),
    errors: reports.reduce((a, r) => a + r.errors, 0),
    lost: total - stored,
  };
}

function message(child: ChildProcess, predicate: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!predicate(m as Record<string, unknown>)) return;
      child.off('disconnect', onExit);
      child.off('message', onMessage);
      resolve(m as Record<string, unknown>);
    };
    // 'disconnect', not 'exit': the last message may still be in the channel when 'exit' fires.
    const onExit = (): void => reject(new Error(`bench writer exited (${child.exitCode ?? child.signalCode}) early`));
    child.on('message', onMessage);
    child.once('disconnect', onExit);
  });
}
