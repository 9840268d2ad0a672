import type { Command } from 'commander';
import { bindAction, examples, type RunState } from '../command-context.js';
import type { CliIo } from '../output.js';

export interface BenchFlags {
  quick?: boolean;
  markdown?: boolean;
  report?: string;
}

export function registerBench(program: Command, io: CliIo, state: RunState): Command {
  const command = program
    .command('bench')
    .description('measure lock cost, contention across processes and write strategies on this machine')
    .argument('[suites...]', 'suites to run: lock, backend, batch (default: all)')
    .option('--quick', 'shorter runs: a quick look, not numbers to publish')
    .option('--markdown', 'print the tables as GitHub markdown')
    .option('--report <file>', 'also write a self-contained HTML report: each table as bars of ratios')
    .addHelpText(
      'after',
      examples([
        'dblock bench',
        'dblock bench batch --markdown > bench.md',
        'dblock bench --quick --json | jq .tables',
        'dblock bench --report bench.html',
      ]),
    );
  return bindAction<BenchFlags>(command, io, state, async (ctx, flags, args) => {
    const { runBenchCommand } = await import('./bench-run.js');
    return runBenchCommand(ctx, flags, args);
  });
}
