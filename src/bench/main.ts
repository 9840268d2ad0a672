import { describeMachine, runSuites } from './run-suites.js';
import { toMarkdown } from './table.js';

/** `npm run bench [-- --quick] [-- suite...]`: markdown tables on stdout, progress on stderr. */
const argv = process.argv.slice(2);
process.stdout.write(`machine: ${describeMachine()}\n\n`);
await runSuites({
  quick: argv.includes('--quick'),
  only: argv.filter((arg) => !arg.startsWith('--')),
  onStep: (line) => process.stderr.write(`${line}\n`),
  onTable: (table) => process.stdout.write(`${toMarkdown(table)}\n`),
});
