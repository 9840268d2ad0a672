import { parseArgs } from 'node:util';
import { EXEC_OPTIONS, type ExecFlags } from './commands/exec-options.js';
import { runExec } from './commands/exec-run.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { type OptionSpec, parseFlags } from './option-spec.js';
import { Output, processIo } from './output.js';
import { refuseNonUtf8 } from './raw-argv.js';
import { TARGET_OPTIONS } from './target-options.js';

const SPECS: readonly OptionSpec[] = [...EXEC_OPTIONS, ...TARGET_OPTIONS, ...GLOBAL_OPTIONS];

/**
 * `dblock exec … CMD` without loading commander: start-up is paid by every job a script runs under
 * dblock. Options come first and end at `--` or at the first argument that is not an option, as in
 * commander's pass-through mode and flock(1); they are parsed from the same option specs commander
 * uses. Anything else (help, a usage error) returns undefined and goes through commander for its messages.
 */
export async function fastMain(argv: readonly string[]): Promise<number | undefined> {
  const flags = parseExecArgs(argv);
  if (flags === undefined) return undefined;
  const out = new Output(processIo, flags.values);
  try {
    refuseNonUtf8(argv.slice(2), argv.length - 2 - flags.command.length); // CMD's own bytes pass through
    return await runExec({ out, io: processIo }, flags.values, flags.command);
  } catch (err) {
    return out.error(err);
  }
}

function parseExecArgs(argv: readonly string[]): { values: ExecFlags; command: string[] } | undefined {
  if (argv[2] !== 'exec') return undefined;
  const rest = argv.slice(3);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  const keys = new Map<string, ParsedKey>();
  for (const spec of SPECS) {
    const parsed = parseFlags(spec.flags);
    options[parsed.long] = {
      type: parsed.takesValue ? 'string' : 'boolean',
      ...(parsed.short === undefined ? {} : { short: parsed.short }),
      ...(spec.repeatable ? { multiple: true } : {}),
    };
    keys.set(parsed.long, { key: parsed.key, defaultValue: spec.defaultValue });
  }
  const end = endOfOptions(rest, options);
  let values: Record<string, unknown>;
  try {
    const result = parseArgs({ args: rest.slice(0, end), options, strict: true, allowPositionals: false });
    values = result.values;
  } catch {
    return undefined;
  }
  const flags: Record<string, unknown> = {};
  for (const [long, { key, defaultValue }] of keys) flags[key] = values[long] ?? defaultValue;
  return { values: flags as ExecFlags, command: rest.slice(rest[end] === '--' ? end + 1 : end) };
}

/** Index of `--` or of the first argument that is not an option (nor an option's value). */
function endOfOptions(args: readonly string[], options: Record<string, { type: string; short?: string }>): number {
  const takesValue = new Set<string>();
  for (const [long, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${long}`);
    if (option.short !== undefined) takesValue.add(option.short);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--' || !arg.startsWith('-') || arg === '-') return i;
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && takesValue.has(arg)) i++;
      continue;
    }
    // A cluster such as `-nx` or `-w5`: a letter that takes a value ends it, its value glued or next.
    for (let j = 1; j < arg.length; j++) {
      if (!takesValue.has(arg[j] ?? '')) continue;
      if (j === arg.length - 1) i++;
      break;
    }
  }
  return args.length;
}

interface ParsedKey {
  key: string;
  defaultValue: string | undefined;
}
