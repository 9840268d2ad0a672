import cliProgress from 'cli-progress';
import { describeMachine, runSuites, selectSuites } from '../../bench/run-suites.js';
import { type BenchTable, toMarkdown, toText } from '../../bench/table.js';
import type { CommandContext } from '../command-context.js';
import type { BenchFlags } from './bench.js';

/** `dblock bench`: the `npm run bench` suites, as text, markdown or JSON; a progress bar on a terminal. */
export async function runBenchCommand(ctx: CommandContext, flags: BenchFlags, only: string[]): Promise<number> {
  const suites = selectSuites(only);
  const machine = describeMachine();
  const progress = ctx.out.flags.quiet
    ? undefined
    : startProgress(
        ctx,
        suites.reduce((n, s) => n + s.steps, 0),
      );
  let tables: BenchTable[];
  try {
    tables = await runSuites({ quick: flags.quick === true, only, onStep: (line) => progress?.step(line.trim()) });
  } finally {
    progress?.stop();
  }
  const render = flags.markdown ? toMarkdown : toText;
  const text = [`machine: ${machine}\n`, ...tables.map(render)].join('\n');
  ctx.out.result({ machine, quick: flags.quick === true, tables }, text);
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
