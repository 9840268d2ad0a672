import cliProgress from 'cli-progress';
import { tableToJson } from '../../bench/json.js';
import { describeMachine, runSuites, selectSuites } from '../../bench/run-suites.js';
import { toMarkdown, toText } from '../../bench/table.js';
import type { BenchTable } from '../../bench/types.js';
import { checkReportPath } from '../../report/report-file.js';
import type { CommandContext } from '../command-context.js';
import type { BenchFlags } from './bench.js';

/** `dblock bench`: the `npm run bench` suites, as text, markdown or JSON; a progress bar on a terminal. */
export async function runBenchCommand(ctx: CommandContext, flags: BenchFlags, only: string[]): Promise<number> {
  const suites = selectSuites(only);
  // Checked before minutes of measuring, not after.
  const reportPath = flags.report === undefined ? undefined : checkReportPath(flags.report);
  const bySuite = new Map<string, BenchTable[]>(suites.map((suite) => [suite.name, []]));
  let current = '';
  const machine = describeMachine();
  const progress = ctx.out.flags.quiet
    ? undefined
    : startProgress(
        ctx,
        suites.reduce((n, s) => n + s.steps, 0),
      );
  let tables: BenchTable[];
  try {
    tables = await runSuites({
      quick: flags.quick === true,
      only,
      onStep: (line, suite) => {
        if (suite !== undefined) current = suite.name;
        progress?.step(line.trim());
      },
      onTable: (table) => bySuite.get(current)?.push(table),
    });
  } finally {
    progress?.stop();
  }
  const render = flags.markdown ? toMarkdown : toText;
  const text = [`machine: ${machine}\n`, ...tables.map(render)].join('\n');
  ctx.out.result({ machine, quick: flags.quick === true, tables: tables.map(tableToJson) }, text);
  if (reportPath !== undefined) {
    const { writeBenchReport } = await import('../../report/bench-report-file.js');
    const results = [...bySuite].map(([suite, own]) => ({ suite, tables: own }));
    await writeBenchReport(reportPath, { machine, quick: flags.quick === true, suites: results });
    ctx.out.note(`report written to ${reportPath}`);
  }
  return 0;
}

interface Progress {
  step(label: string): void;
  stop(): void;
}

/** A bar on a terminal (stderr), plain lines elsewhere (CI logs). */
function startProgress(ctx: CommandContext, total: number): Progress {
  const { io } = ctx;
  if (!io.isTTY) return { step: (label) => io.stderr(`${label}\n`), stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: 'bench [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  let started = 0;
  return {
    // A step line announces the next step: the previous one is done. Suite lines are headings, not steps.
    step: (label) => {
      if (label.startsWith('bench: ')) return bar.update({ label });
      bar.update(Math.min(started, total), { label });
      started += 1;
    },
    stop: () => {
      bar.update(total);
      bar.stop();
    },
  };
}
