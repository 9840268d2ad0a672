import { SUITES } from './suites.js';
import { toMarkdown } from './table.js';

/** `npm run bench [-- suite...]`: run the suites and print markdown tables with a machine line. */
async function runBench(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const wanted = argv.filter((arg) => !arg.startsWith('--'));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const { cpus, totalmem, release } = await import('node:os');
  process.stdout.write(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}\n\n`,
  );
  for (const suite of SUITES) {
    if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
    log(`bench: ${suite.name}…`);
    for (const table of await suite.run({ quick, log })) process.stdout.write(`${toMarkdown(table)}\n`);
  }
}

await runBench(process.argv.slice(2));
