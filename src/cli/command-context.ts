import type { Command } from 'commander';
import type { CliIo, GlobalFlags } from './output.js';
import { Output } from './output.js';

/** What every command action receives. */
export interface CommandContext {
  readonly out: Output;
  readonly io: CliIo;
}

/** A command action: returns its exit code (void = 0) or throws a DblockError. */
export type CommandAction<O> = (ctx: CommandContext, options: O, args: string[]) => Promise<number | undefined>;

/** Holds the exit code the running action produced, for `main` to return. */
export interface RunState {
  exitCode: number;
}

/**
 * Wire an action into commander: parse globals, build the Output, map a thrown error to its
 * exit code. Actions never call process.exit.
 */
export function bindAction<O>(command: Command, io: CliIo, state: RunState, action: CommandAction<O>): Command {
  return command.action(async (...raw: unknown[]) => {
    const self = raw[raw.length - 1] as Command;
    const options = self.optsWithGlobals() as O & GlobalFlags;
    const out = new Output(io, options);
    try {
      state.exitCode = (await action({ out, io }, options, self.args)) ?? 0;
    } catch (err) {
      state.exitCode = out.error(err);
    }
  });
}

/** Examples shown at the end of `--help`. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}
