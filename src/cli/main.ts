import { Command, CommanderError } from 'commander';
import { DblockError, EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './command-list.js';
import { type CommandSpec, formatExamples } from './command-spec.js';
import { addOptions } from './option-spec.js';
import { type CliIo, type GlobalFlags, Output, processIo } from './output.js';
import { refuseNonUtf8 } from './raw-argv.js';
import { commandOptions, GLOBAL_OPTIONS, VERBOSE } from './shared-options.js';

/**
 * Run the CLI and return the exit code (the bin shim sets process.exitCode).
 * @example process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(io, state);
  const args = argv.slice(2);
  try {
    refuseNonUtf8(args, checkedArgs(args));
    await program.parseAsync([...argv]);
  } catch (err) {
    if (!(err instanceof CommanderError)) return new Output(io, { json: asksForJson(args) }).error(err);
    if (isHelp(err)) return EXIT.OK;
    // Commander already printed its one line on stderr; --json gets the same error as an object.
    if (asksForJson(args)) new Output(io, { json: true }).errorJson(usageError(err), EXIT.USAGE);
    return EXIT.USAGE;
  }
  return state.exitCode;
}

function buildProgram(io: CliIo, state: { exitCode: number }): Command {
  const program = new Command('dblock')
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
      formatExamples([
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
  // Before the command name too (`dblock -v exec …`); -v is refused there for a command that takes no lock.
  addOptions(program, [...GLOBAL_OPTIONS, { ...VERBOSE, description: `${VERBOSE.description} (commands that take a lock)` }]);
  for (const spec of COMMANDS) addCommand(program, spec, io, state);
  return program;
}

/** One table entry as a commander command whose action loads the command's module and runs it. */
function addCommand(program: Command, spec: CommandSpec, io: CliIo, state: { exitCode: number }): void {
  const command = program.command(spec.name).description(spec.summary);
  if (spec.usage !== undefined) command.usage(spec.usage);
  for (const arg of spec.arguments ?? []) command.argument(arg.syntax, arg.description);
  if (spec.passThrough) command.passThroughOptions();
  addOptions(command, commandOptions(spec.options, spec.takesLock));
  command
    .addHelpText('after', formatExamples(spec.examples) + (spec.notes ?? ''))
    .exitOverride()
    .configureOutput(program.configureOutput())
    .action(async (...raw: unknown[]) => {
      const self = raw[raw.length - 1] as Command;
      const flags = self.optsWithGlobals() as GlobalFlags;
      const out = new Output(io, flags);
      try {
        if (flags.verbose && !spec.takesLock) {
          throw new DblockError('EUSAGE', `${spec.name} takes no lock, so -v has nothing to report`);
        }
        const { run } = await spec.load();
        state.exitCode = await run({ out, io }, flags as never, self.args);
      } catch (err) {
        state.exitCode = out.error(err);
      }
    });
}

/** How many arguments must be UTF-8: all but `exec`'s command after `--`, whose bytes pass to it unchanged. */
function checkedArgs(args: readonly string[]): number {
  const name = args.find((arg) => !arg.startsWith('-')); // global flags take no value
  const dashes = args.indexOf('--');
  return name === 'exec' && dashes !== -1 ? dashes : args.length;
}

/** `--json` among dblock's own arguments (not in exec's CMD after `--`). */
function asksForJson(args: readonly string[]): boolean {
  const dashes = args.indexOf('--');
  return (dashes === -1 ? args : args.slice(0, dashes)).includes('--json');
}

function isHelp(err: CommanderError): boolean {
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version';
}

/** Commander's message (`error: unknown option '--bogus'`) as the EUSAGE error --json reports. */
function usageError(err: CommanderError): DblockError {
  return new DblockError('EUSAGE', err.message.replace(/^error: /, ''), { cause: err });
}
