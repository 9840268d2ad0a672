import type { OptionSpec } from './option-spec.js';
import type { CliIo, Output } from './output.js';

/** What every command's run function receives besides its flags and arguments. */
export interface CommandContext {
  readonly out: Output;
  readonly io: CliIo;
}

/**
 * A command's run function: returns its exit code or throws a DblockError (never calls process.exit).
 * `flags: never` lets each command declare its own flags type; commander fills it from the specs.
 */
export type RunCommand = (ctx: CommandContext, flags: never, args: string[]) => Promise<number>;

/** A positional argument: commander syntax (`<file>`, `[line]`, `[suites...]`) and its help. */
export interface ArgumentSpec {
  syntax: string;
  description: string;
}

/** One command, as data: what help shows and how to load the code that runs it. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** The usage line after the command name, when commander's own is not right. */
  usage?: string;
  arguments?: readonly ArgumentSpec[];
  /** Its own options; the global ones (and `-v` when `takesLock`) are added to every command. */
  options: readonly OptionSpec[];
  /** The command takes a lock, so `-v` has something to say. */
  takesLock: boolean;
  /** Options after the first argument belong to it (`exec … -- CMD --flag`). */
  passThrough?: boolean;
  examples: readonly string[];
  /** Text after the examples (exec's notes for flock(1) users). */
  notes?: string;
  /** Loaded only when the command runs: its flags type and run function live in this module. */
  load: () => Promise<{ run: RunCommand }>;
}

/** Examples shown at the end of `--help`. */
export function formatExamples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}
