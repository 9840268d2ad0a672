import { isatty } from 'node:tty';
import { isDblockError } from '../errors.js';
import { oneLine } from '../util/printable.js';
import { explainResourceError } from './resource-error.js';

/** Where a command writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

/**
 * The real streams, touched only when used: `dblock exec` usually prints nothing, and Node creates
 * each stream (loading its stream modules) on first access.
 */
export const processIo: CliIo = {
  stdout: (text) => quietOnEpipe(process.stdout).write(text),
  stderr: (text) => quietOnEpipe(process.stderr).write(text),
  // isatty(2), not process.stderr.isTTY: the fast path asks before it prints, and creating the stream costs start-up.
  get isTTY() {
    return isatty(2);
  },
};

/**
 * Whether stderr is a terminal that understands cursor movement: progress bars and the waiting line
 * redraw in place only there. `TERM=dumb` (Emacs shells, some CI consoles) gets plain lines.
 */
export function drawsInPlace(io: CliIo): boolean {
  return io.isTTY && process.env.TERM !== 'dumb';
}

const quieted = new WeakSet<NodeJS.WriteStream>();

/**
 * `dblock … | head`: a reader that went away is not an error worth a stack trace. The output is
 * dropped and the command ends with its own status (exiting here would lose it, e.g. 127).
 */
function quietOnEpipe(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  if (quieted.has(stream)) return stream;
  quieted.add(stream);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  return stream;
}

/** Global flags every command honours. */
export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

/**
 * The one place commands print: results on stdout (JSON with --json), notes on stderr,
 * errors as one line (a stack trace only with --debug or DBLOCK_DEBUG=1). `--quiet` hides results
 * and notes but never errors (`dblock check -q || alert`); `--json` is printed even then (it was asked for).
 */
export class Output {
  readonly io: CliIo;
  readonly flags: GlobalFlags;

  constructor(io: CliIo, flags: GlobalFlags) {
    this.io = io;
    this.flags = { ...flags, debug: flags.debug === true || process.env.DBLOCK_DEBUG === '1' };
  }

  get json(): boolean {
    return this.flags.json === true;
  }

  get quiet(): boolean {
    return this.flags.quiet === true;
  }

  /** A command's result: `value` as JSON with --json, else `text` (if any; hidden by --quiet). */
  result(value: unknown, text?: string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    else if (text !== undefined && text !== '' && !this.quiet) this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note for a person (hidden by --quiet). */
  note(text: string): void {
    if (!this.quiet) this.io.stderr(`dblock: ${oneLine(text)}\n`);
  }

  /** Only with --verbose. */
  verbose(text: string): void {
    if (this.flags.verbose && !this.quiet) this.io.stderr(`dblock: ${oneLine(text)}\n`);
  }

  warn(text: string): void {
    if (!this.quiet) this.io.stderr(`dblock: warning: ${oneLine(text)}\n`);
  }

  /** Report an error; returns the exit code to use (`exitCode` when the caller maps it, as `-E` does). */
  error(thrown: unknown, exitCode?: number): number {
    const err = explainResourceError(thrown);
    const used = this.#report(err, exitCode);
    const message = err instanceof Error ? err.message : String(err);
    // One line whatever the message names: a path or host may hold a newline or a terminal escape.
    this.io.stderr(`dblock: ${isDblockError(err) ? '' : 'internal error: '}${oneLine(message)}\n`);
    if (this.flags.debug && err instanceof Error && err.stack) this.io.stderr(`${err.stack}\n`);
    return used;
  }

  /**
   * A conflict the caller mapped to its own exit code (`-E N`): like flock(1), with `--quiet` it is
   * an expected outcome, not an error, so nothing but the asked-for JSON is printed.
   */
  mappedConflict(err: unknown, exitCode: number): number {
    return this.quiet ? this.#report(explainResourceError(err), exitCode) : this.error(err, exitCode);
  }

  /** With --json, the error object alone, for an error whose line is printed elsewhere (commander's usage errors). */
  errorJson(err: unknown, exitCode?: number): number {
    return this.#report(err, exitCode);
  }

  /** The JSON error object (with --json); returns the exit code really used. */
  #report(err: unknown, exitCode: number | undefined): number {
    const dblockError = isDblockError(err) ? err : undefined;
    const used = exitCode ?? dblockError?.exitCode ?? 70;
    if (this.json) {
      const code = dblockError?.code ?? 'EINTERNAL';
      const message = err instanceof Error ? err.message : String(err);
      this.io.stdout(`${JSON.stringify({ error: { code, message, exitCode: used, ...errorDetails(err) } }, null, 2)}\n`);
    }
    return used;
  }
}

function errorDetails(err: unknown): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return {};
  const out: Record<string, unknown> = {};
  for (const key of ['lockPath', 'waitedMs', 'holder', 'conflict', 'details'] as const) {
    const value = (err as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
