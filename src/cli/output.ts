import { DblockError } from '../errors.js';
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
  get isTTY() {
    return process.stderr.isTTY === true;
  },
};

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
 * errors as one line (a stack trace only with --debug or DBLOCK_DEBUG=1).
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

  /** A command's result: `value` as JSON with --json, else `text` (if any). */
  result(value: unknown, text?: string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    else if (text !== undefined && text !== '') this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note for a person (hidden by --quiet). */
  note(text: string): void {
    if (!this.flags.quiet) this.io.stderr(`dblock: ${text}\n`);
  }

  /** Only with --verbose. */
  verbose(text: string): void {
    if (this.flags.verbose && !this.flags.quiet) this.io.stderr(`dblock: ${text}\n`);
  }

  warn(text: string): void {
    if (!this.flags.quiet) this.io.stderr(`dblock: warning: ${text}\n`);
  }

  /** Report an error; returns the exit code to use. */
  error(thrown: unknown): number {
    const err = explainResourceError(thrown);
    const dblockError = err instanceof DblockError ? err : undefined;
    const code = dblockError?.code ?? 'EINTERNAL';
    const exitCode = dblockError?.exitCode ?? 70;
    const message = err instanceof Error ? err.message : String(err);
    if (this.json) {
      this.io.stdout(`${JSON.stringify({ error: { code, message, exitCode, ...errorDetails(err) } }, null, 2)}\n`);
    }
    this.io.stderr(`dblock: ${dblockError === undefined ? 'internal error: ' : ''}${message}\n`);
    if (this.flags.debug && err instanceof Error && err.stack) this.io.stderr(`${err.stack}\n`);
    return exitCode;
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
