import type { Command } from 'commander';

/** One CLI option, declared once for commander (help, errors) and for the exec fast path (parseArgs). */
export interface OptionSpec {
  /** Commander syntax: `-w, --timeout <duration>` or `--close`. */
  flags: string;
  description: string;
  /** May be given several times (values collected into an array). */
  repeatable?: boolean;
  defaultValue?: string;
}

/** Register specs on a commander command. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    if (spec.repeatable) command.option(spec.flags, spec.description, collect);
    else if (spec.defaultValue !== undefined) command.option(spec.flags, spec.description, spec.defaultValue);
    else command.option(spec.flags, spec.description);
  }
  return command;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The parts of a spec's flags: `-w, --timeout <duration>` → short `w`, long `timeout`, takes a value. */
export interface ParsedFlags {
  short: string | undefined;
  long: string;
  /** The camelCase key commander uses for the value (`conflictExitCode`). */
  key: string;
  takesValue: boolean;
}

export function parseFlags(flags: string): ParsedFlags {
  const short = /(?:^|\s)-(\w)\b/.exec(flags)?.[1];
  const long = /--([\w-]+)/.exec(flags)?.[1] ?? '';
  const key = long.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  return { short, long, key, takesValue: /<[^>]+>/.test(flags) };
}
