import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import { examples, type RunState } from './command-context.js';
import { registerAppend } from './commands/append.js';
import { registerBench } from './commands/bench.js';
import { registerCheck } from './commands/check.js';
import { registerCheckpoint } from './commands/checkpoint.js';
import { registerConflicts } from './commands/conflicts.js';
import { registerExec } from './commands/exec.js';
import { registerInit } from './commands/init.js';
import { registerIntents } from './commands/intents.js';
import { registerReap } from './commands/reap.js';
import { registerStatus } from './commands/status.js';
import { registerStress } from './commands/stress.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { addOptions } from './option-spec.js';
import { type CliIo, Output, processIo } from './output.js';
import { refuseNonUtf8 } from './raw-argv.js';

/** Each command file registers itself; actions load their heavy modules lazily. */
const COMMANDS = [
  registerExec,
  registerAppend,
  registerStatus,
  registerInit,
  registerCheck,
  registerCheckpoint,
  registerStress,
  registerIntents,
  registerReap,
  registerConflicts,
  registerBench,
];

/**
 * Run the CLI and return the exit code (the bin shim sets process.exitCode).
 * @example process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const state: RunState = { exitCode: 0 };
  const program = buildProgram(io, state);
  try {
    refuseNonUtf8(argv.slice(2), checkedArgs(argv.slice(2)));
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    return new Output(io, {}).error(err);
  }
  return state.exitCode;
}

function buildProgram(io: CliIo, state: RunState): Command {
  const program = addGlobalOptions(new Command('dblock'))
    .description('flock(1) for databases: many processes, one SQLite database (or any single-writer file), safely.')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`dblock: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      examples([
        'dblock exec --db app.db -- sqlite3 app.db "INSERT INTO t VALUES (1)"',
        'dblock exec --lock /tmp/nightly.lock --timeout 0 -- ./nightly.sh',
        'dblock append events.jsonl \'{"event":"done"}\'',
        'dblock exec --writes data/ --writes report.json -- ./build.sh   # refused (75) if another task declared them',
        'dblock intents',
        'dblock status --db app.db --json',
        'dblock init --db app.db --migrations ./migrations',
        'dblock check --db app.db --full',
        'dblock <command> --help',
      ]),
    );
  for (const register of COMMANDS) {
    // Global flags work after the command name too: `dblock exec -v --db x -- cmd`.
    addGlobalOptions(register(program, io, state))
      .exitOverride()
      .configureOutput(program.configureOutput());
  }
  return program;
}

/** How many arguments must be UTF-8: all but `exec`'s command after `--`, whose bytes pass to it unchanged. */
function checkedArgs(args: readonly string[]): number {
  const name = args.find((arg) => !arg.startsWith('-')); // global flags take no value
  const dashes = args.indexOf('--');
  return name === 'exec' && dashes !== -1 ? dashes : args.length;
}

function addGlobalOptions(command: Command): Command {
  return addOptions(command, GLOBAL_OPTIONS);
}

function commanderExit(err: CommanderError): number {
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.help':
    case 'commander.version':
      return EXIT.OK;
    default:
      return EXIT.USAGE;
  }
}
