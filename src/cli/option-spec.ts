import type { Command } from 'commander';

/**
 * One CLI option, declared once for commander (help, errors) and for the exec fast path (parseArgs).
 * Defaults are not given to the parser: the library applies them (defaults.ts), so a flag left out
 * reaches it as undefined, and `defaultText` only shows the same default in the help.
 */
export interface OptionSpec {
  /** Commander syntax: `-w, --timeout <duration>` or `--close`. */
  flags: string;
  description: string;
  /** The default as help shows it, from defaults.ts: `30s or DBLOCK_TIMEOUT`. */
  defaultText?: string;
  /** The values it takes, from defaults.ts, listed after the description (checked by the library's resolvers). */
  choices?: readonly string[];
  /** May be given several times (values collected into an array). */
  repeatable?: boolean;
}

/** The help line of a spec: its description, the values it takes and its default. */
export function describeOption(spec: OptionSpec): string {
  const choices = spec.choices === undefined ? '' : `: ${describeChoices(spec.choices)}`;
  const fallback = spec.defaultText === undefined ? '' : ` (default: ${spec.defaultText})`;
  return `${spec.description}${choices}${fallback}`;
}

/** `a, b or c`; with `help`, each value explained: `a (fast), b (portable) or c (remote)`. */
export function describeChoices<T extends string>(values: readonly T[], help?: Record<T, string>): string {
  const named = values.map((value) => (help === undefined ? value : `${value} (${help[value]})`));
  return named.length < 2 ? named.join('') : `${named.slice(0, -1).join(', ')} or ${named.at(-1)}`;
}

/** Register specs on a commander command. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    if (spec.repeatable) command.option(spec.flags, describeOption(spec), collect);
    else command.option(spec.flags, describeOption(spec));
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
